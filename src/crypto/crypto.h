/* National-crypto (国密) primitives through OpenSSL 3 EVP: SM3 and HMAC-SM3, CSPRNG, password
 * hashes (crypto.c); SM4 field encryption and blind indexes (sm4.c); SM2 keys, decryption of
 * sm-crypto ciphertexts, signatures with the standard user ID (sm2.c). Formats: docs/crypto.md. */
#ifndef JG_CRYPTO_H
#define JG_CRYPTO_H
#include "base/rc.h"

#include <stddef.h>

/* ---- randomness, SM3, HMAC-SM3, password hashes (crypto.c) ---- */

#define JG_PASSWORD_ITERATIONS 100000
#define JG_PASSWORD_HASH_MAX 128
#define JG_SM3_LEN 32

/* Fill out with n bytes from the operating system's CSPRNG. JG_ERR if it fails. */
jg_rc jg_crypto_random(void *out, size_t n);
/* JG_OK if the n bytes at a and b are equal, else JG_DENIED; the time taken depends on n only.
 * Cannot fail otherwise. */
jg_rc jg_crypto_equal(const void *a, const void *b, size_t n);
/* Write n bytes at in as 2n lower-case hex digits and a NUL into out. Cannot fail. */
void jg_crypto_hex_encode(const void *in, size_t n, char *out);
/* Decode hexlen digits (either case) at in into hexlen / 2 bytes at out. JG_INVALID if hexlen
 * is odd or a character is not a hex digit (out is then partly written). */
jg_rc jg_crypto_hex_decode(const char *in, size_t hexlen, unsigned char *out);
/* Write n bytes at in as base64url (RFC 4648 section 5, no padding) and a NUL into out, which
 * needs (4n + 2) / 3 + 1 bytes. Cannot fail. */
void jg_crypto_b64url_encode(const void *in, size_t n, char *out);
/* SM3 digest (GB/T 32905) of len bytes at data into out. JG_ERR (logged) only if OpenSSL fails. */
jg_rc jg_sm3(const void *data, size_t len, unsigned char out[JG_SM3_LEN]);
/* HMAC-SM3 (RFC 2104 with SM3) of len bytes at data under keylen bytes of key, into out.
 * JG_ERR (logged) only if OpenSSL fails. */
jg_rc jg_hmac_sm3(const void *key, size_t keylen, const void *data, size_t len,
                  unsigned char out[JG_SM3_LEN]);
/* Hash password with PBKDF2-HMAC-SM3 and a fresh 16-byte salt into out as
 * "pbkdf2-sm3$ITERATIONS$SALT_HEX$HASH_HEX" (JG_PASSWORD_HASH_MAX bytes suffice). */
jg_rc jg_password_hash(const char *password, int iterations, char *out, size_t outlen);
/* JG_OK if password matches stored, JG_DENIED if not, JG_INVALID if stored is malformed.
 * Compares in constant time. */
jg_rc jg_password_verify(const char *password, const char *stored);

/* ---- SM4 field encryption for data at rest (sm4.c) ----
 *
 * One 32-byte master key per deployment. Three keys are derived from it with HMAC-SM3 under
 * fixed labels (encryption, MAC, blind index), so one secret is kept and no key serves two uses.
 * A sealed value is the text token
 *
 *     "v1." base64url( IV[16] | C[n] | T[32] )        (RFC 4648 §5 alphabet, no '=' padding)
 *
 *     IV  random per seal; the initial SM4-CTR counter block
 *     C   SM4-CTR(enc_key, IV, plaintext), n = plaintext length
 *     T   HMAC-SM3(mac_key, "v1." | u32be(len(context)) | context | IV | C)
 *
 * The context (e.g. "person.id_card") is authenticated but not stored: a token copied into
 * another column does not open there. Tokens are ASCII and safe in SQL text and JSON. */

#define JG_SM4_KEY_LEN 32
#define JG_SM4_MAX_PLAINTEXT (64u * 1024 * 1024)
/* Bytes of out_text (including the NUL) that jg_sm4_seal needs for n bytes of plaintext. */
#define JG_SM4_TOKEN_SIZE(n) (3 + ((16 + (size_t)(n) + 32) * 4 + 2) / 3 + 1)
/* Length of a blind index: 64 hex digits. */
#define JG_SM4_INDEX_LEN 64

/* Encrypt-then-MAC len bytes at plaintext under master key and context (NULL means "") into
 * out_text as a NUL-terminated token (see above); outlen must be at least JG_SM4_TOKEN_SIZE(len).
 * JG_TOOLARGE if it is not or if len exceeds JG_SM4_MAX_PLAINTEXT (out_text then holds ""),
 * JG_ERR (logged) if OpenSSL fails. The caller owns out_text. */
jg_rc jg_sm4_seal(const unsigned char key[JG_SM4_KEY_LEN], const char *context, const void *plaintext,
                  size_t len, char *out_text, size_t outlen);
/* Verify, in constant time, then decrypt a token made by jg_sm4_seal with the same key and
 * context, into out (outlen bytes); *n receives the plaintext length. JG_INVALID if token is not
 * a well-formed "v1." token, JG_DENIED if its MAC does not verify (tampered, other key, other
 * context), JG_TOOLARGE if outlen is too small; nothing is decrypted unless the MAC verifies.
 * The caller owns out. */
jg_rc jg_sm4_open(const unsigned char key[JG_SM4_KEY_LEN], const char *context, const char *token, void *out,
                  size_t outlen, size_t *n);
/* Blind index for equality search on an encrypted column: 64 lower-case hex digits of
 * HMAC-SM3(index_key, u32be(len(field)) | field | value) into out (NUL-terminated), with
 * index_key derived from the master key. The same value in different fields gives unrelated
 * indexes. Normalise value first (e.g. upper-case the X of an ID card number).
 * JG_ERR (logged) only if OpenSSL fails. */
jg_rc jg_sm4_blind_index(const unsigned char key[JG_SM4_KEY_LEN], const char *field, const void *value,
                         size_t len, char out[JG_SM4_INDEX_LEN + 1]);

/* ---- SM2 (GB/T 32918) over OpenSSL 3's "SM2" key type (sm2.c) ----
 *
 * Public keys travel as the uncompressed point in hex, "04" | X[32] | Y[32] (130 digits), as
 * sm-crypto prints them; private keys as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
 * Ciphertexts are sm-crypto's doEncrypt(msg, pub, 1) hex, C1C3C2:
 *
 *     [04] X1[32] Y1[32] | C3[32] = SM3(x2 | M | y2) | C2[n] = M xor KDF(x2 | y2)
 *
 * Signatures hash with SM3 over Z = SM3(ENTL | ID | a | b | xG | yG | xA | yA) with the
 * standard ID "1234567812345678" (GM/T 0009), not OpenSSL 3.0's empty default. */

#define JG_SM2_USER_ID "1234567812345678"
#define JG_SM2_PUB_HEX_LEN 130
#define JG_SM2_PEM_MAX 512
#define JG_SM2_SIG_DER_MAX 72
#define JG_SM2_SIG_HEX_LEN 128
/* Hex digits (plus the NUL) of the ciphertext of n bytes, without the "04". */
#define JG_SM2_CIPHER_HEX_SIZE(n) (2 * (96 + (size_t)(n)) + 1)

/* An SM2 key: a key pair, or a public key alone. Safe to use from several threads at once. */
typedef struct jg_sm2_key jg_sm2_key;

/* A signature in both encodings: DER SEQUENCE { r, s } (OpenSSL, sm-crypto {der:true} as hex)
 * and r | s as 128 lower-case hex digits (sm-crypto {der:false}). */
typedef struct {
    unsigned char der[JG_SM2_SIG_DER_MAX];
    size_t der_len;
    char hex[JG_SM2_SIG_HEX_LEN + 1];
} jg_sm2_sig;

/* Generate a fresh key pair into *out. The caller frees it with jg_sm2_key_free.
 * JG_ERR (logged) if OpenSSL fails. */
jg_rc jg_sm2_keygen(jg_sm2_key **out);
/* Free a key (NULL is ignored); the private scalar is cleansed by OpenSSL. Cannot fail. */
void jg_sm2_key_free(jg_sm2_key *key);
/* Load a private key from len bytes of unencrypted PEM (PKCS#8 "PRIVATE KEY", or SEC1
 * "EC PRIVATE KEY") on the SM2 curve into *out; the caller frees it with jg_sm2_key_free.
 * JG_INVALID if the text is not such a key (encrypted PEM is refused, never prompted for). */
jg_rc jg_sm2_key_from_pem(const char *pem, size_t len, jg_sm2_key **out);
/* Write the private key as NUL-terminated PKCS#8 PEM into out (JG_SM2_PEM_MAX bytes suffice).
 * JG_INVALID if key has no private part, JG_TOOLARGE if outlen is too small, JG_ERR (logged) if
 * OpenSSL fails. The caller owns out and should cleanse it when done. */
jg_rc jg_sm2_key_to_pem(const jg_sm2_key *key, char *out, size_t outlen);
/* Load a public key from "04" and 128 hex digits (either case) into *out; the caller frees it
 * with jg_sm2_key_free. JG_INVALID if hex is not that or the point is not on the curve. */
jg_rc jg_sm2_pub_from_hex(const char *hex, jg_sm2_key **out);
/* Write the public key as "04" and 128 lower-case hex digits, NUL-terminated, into out.
 * JG_ERR (logged) if OpenSSL fails. */
jg_rc jg_sm2_pub_to_hex(const jg_sm2_key *key, char out[JG_SM2_PUB_HEX_LEN + 1]);
/* Encrypt len bytes (1 or more) at data for key's public part into out as NUL-terminated
 * C1C3C2 hex without the "04", the form sm-crypto's doDecrypt(hex, priv, 1) reads; outlen must
 * be at least JG_SM2_CIPHER_HEX_SIZE(len). JG_INVALID if len is 0, JG_TOOLARGE if outlen is
 * too small, JG_ERR (logged) if OpenSSL fails. The caller owns out. */
jg_rc jg_sm2_encrypt_hex(const jg_sm2_key *key, const void *data, size_t len, char *out, size_t outlen);
/* Decrypt the NUL-terminated C1C3C2 hex of sm-crypto's doEncrypt(msg, pub, 1), with or without
 * the "04" before C1, digits in either case, with key's private part into out (outlen bytes);
 * *n receives the plaintext length (not NUL-terminated; check UTF-8 yourself).
 * JG_INVALID if hex is malformed or C1 is not a point on the curve or key has no private part,
 * JG_TOOLARGE if the plaintext would not fit in outlen (checked before any work),
 * JG_DENIED if C3 does not match (other key, altered ciphertext) or the KDF mask is all zero
 * (GB/T 32918.4 step B4; sm-crypto makes such a ciphertext for 1 message in 256^n of n bytes).
 * The caller owns out. */
jg_rc jg_sm2_decrypt_hex(const jg_sm2_key *key, const char *hex, void *out, size_t outlen, size_t *n);
/* Sign len bytes at data with key's private part: SM3 with Z over JG_SM2_USER_ID, into *sig in
 * both encodings. JG_INVALID if key has no private part, JG_ERR (logged) if OpenSSL fails. */
jg_rc jg_sm2_sign(const jg_sm2_key *key, const void *data, size_t len, jg_sm2_sig *sig);
/* Verify a DER signature (derlen bytes) over len bytes at data with key's public part and
 * JG_SM2_USER_ID. JG_OK if valid, JG_DENIED if not, JG_INVALID if der is not strict DER. */
jg_rc jg_sm2_verify(const jg_sm2_key *key, const void *data, size_t len, const unsigned char *der,
                    size_t derlen);
/* As jg_sm2_verify for an r | s signature of exactly 128 hex digits (either case), as from
 * sm-crypto's doSignature(msg, priv, {hash: true}). JG_INVALID if hex is not that. */
jg_rc jg_sm2_verify_hex(const jg_sm2_key *key, const void *data, size_t len, const char *hex);

#endif

/* National-crypto (国密) primitives through OpenSSL 3 EVP: SM3 hashing, CSPRNG, password hashes. */
#ifndef JG_CRYPTO_H
#define JG_CRYPTO_H
#include "base/rc.h"

#include <stddef.h>

#define JG_PASSWORD_ITERATIONS 100000
#define JG_PASSWORD_HASH_MAX 128

/* Fill out with n bytes from the operating system's CSPRNG. JG_ERR if it fails. */
jg_rc jg_crypto_random(void *out, size_t n);
/* Hash password with PBKDF2-HMAC-SM3 and a fresh 16-byte salt into out as
 * "pbkdf2-sm3$ITERATIONS$SALT_HEX$HASH_HEX" (JG_PASSWORD_HASH_MAX bytes suffice). */
jg_rc jg_password_hash(const char *password, int iterations, char *out, size_t outlen);
/* JG_OK if password matches stored, JG_DENIED if not, JG_INVALID if stored is malformed.
 * Compares in constant time. */
jg_rc jg_password_verify(const char *password, const char *stored);

#endif

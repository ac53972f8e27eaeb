/* Command-line face of src/crypto for the interop tests against sm-crypto (sm2.test.mjs) and for
 * measuring SM2 speed. Output goes to stdout; the exit status says how an operation ended:
 * 0 ok, 1 refused (JG_DENIED: wrong key, altered data, bad signature), 2 malformed input
 * (JG_INVALID), 3 anything else (usage, I/O, internal); the jg_rc name goes to stderr. */
#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_TEXT (1024 * 1024)

static int usage(void)
{
    fputs("usage: sm2tool keygen KEY_PEM                  write a new key, print its public key hex\n"
          "       sm2tool pub KEY_PEM                     print the public key hex\n"
          "       sm2tool encrypt PUBHEX MSG              print C1C3C2 hex (no 04)\n"
          "       sm2tool decrypt KEY_PEM HEX             print the plaintext as hex\n"
          "       sm2tool sign KEY_PEM MSG                print \"RS_HEX DER_HEX\"\n"
          "       sm2tool verify PUBHEX MSG SIGHEX        r|s (128 hex digits) or DER in hex\n"
          "       sm2tool seal KEYHEX CONTEXT MSG         print an SM4 token\n"
          "       sm2tool open KEYHEX CONTEXT TOKEN       print the plaintext as hex\n"
          "       sm2tool index KEYHEX FIELD VALUE        print the blind index\n"
          "       sm2tool bench [ROUNDS] [SECONDS]        SM2 operations per second, medians\n",
          stderr);
    return 3;
}

static int status(jg_rc rc)
{
    if (rc != JG_OK)
        fprintf(stderr, "sm2tool: %s\n", jg_rc_name(rc));
    return rc == JG_OK ? 0 : rc == JG_DENIED ? 1 : rc == JG_INVALID ? 2 : 3;
}

static void print_hex(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

/* Decode hex into out (room for outlen bytes); returns the length or -1. */
static long unhex(const char *hex, unsigned char *out, size_t outlen)
{
    size_t n = strlen(hex);
    if (n / 2 > outlen || jg_crypto_hex_decode(hex, n, out) != JG_OK)
        return -1;
    return (long)(n / 2);
}

static jg_rc load_key(const char *path, jg_sm2_key **key)
{
    char pem[4096];
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return JG_ERR;
    }
    size_t n = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    jg_rc rc = jg_sm2_key_from_pem(pem, n, key);
    OPENSSL_cleanse(pem, sizeof(pem));
    return rc;
}

static int cmd_keygen(const char *path)
{
    jg_sm2_key *key;
    char pem[JG_SM2_PEM_MAX], pub[JG_SM2_PUB_HEX_LEN + 1];
    jg_rc rc = jg_sm2_keygen(&key);
    if (rc != JG_OK)
        return status(rc);
    rc = jg_sm2_key_to_pem(key, pem, sizeof(pem));
    if (rc == JG_OK)
        rc = jg_sm2_pub_to_hex(key, pub);
    jg_sm2_key_free(key);
    if (rc != JG_OK)
        return status(rc);
    umask(077);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(pem, f) < 0 || fclose(f) != 0) {
        perror(path);
        return 3;
    }
    OPENSSL_cleanse(pem, sizeof(pem));
    puts(pub);
    return 0;
}

static int cmd_pub(const char *path)
{
    jg_sm2_key *key;
    char pub[JG_SM2_PUB_HEX_LEN + 1];
    jg_rc rc = load_key(path, &key);
    if (rc != JG_OK)
        return status(rc);
    rc = jg_sm2_pub_to_hex(key, pub);
    jg_sm2_key_free(key);
    if (rc == JG_OK)
        puts(pub);
    return status(rc);
}

static int cmd_encrypt(const char *pubhex, const char *msg)
{
    jg_sm2_key *key;
    jg_rc rc = jg_sm2_pub_from_hex(pubhex, &key);
    if (rc != JG_OK)
        return status(rc);
    size_t size = JG_SM2_CIPHER_HEX_SIZE(strlen(msg));
    char *out = malloc(size);
    if (out == NULL)
        return 3;
    rc = jg_sm2_encrypt_hex(key, msg, strlen(msg), out, size);
    if (rc == JG_OK)
        puts(out);
    free(out);
    jg_sm2_key_free(key);
    return status(rc);
}

static int cmd_decrypt(const char *path, const char *hex)
{
    static unsigned char out[MAX_TEXT];
    jg_sm2_key *key;
    size_t n = 0;
    jg_rc rc = load_key(path, &key);
    if (rc != JG_OK)
        return status(rc);
    rc = jg_sm2_decrypt_hex(key, hex, out, sizeof(out), &n);
    jg_sm2_key_free(key);
    if (rc == JG_OK)
        print_hex(out, n);
    return status(rc);
}

static int cmd_sign(const char *path, const char *msg)
{
    jg_sm2_key *key;
    jg_sm2_sig sig;
    jg_rc rc = load_key(path, &key);
    if (rc != JG_OK)
        return status(rc);
    rc = jg_sm2_sign(key, msg, strlen(msg), &sig);
    jg_sm2_key_free(key);
    if (rc == JG_OK) {
        printf("%s ", sig.hex);
        print_hex(sig.der, sig.der_len);
    }
    return status(rc);
}

static int cmd_verify(const char *pubhex, const char *msg, const char *sighex)
{
    jg_sm2_key *key;
    jg_rc rc = jg_sm2_pub_from_hex(pubhex, &key);
    if (rc != JG_OK)
        return status(rc);
    if (strlen(sighex) == JG_SM2_SIG_HEX_LEN) {
        rc = jg_sm2_verify_hex(key, msg, strlen(msg), sighex);
    } else {
        unsigned char der[256];
        long n = unhex(sighex, der, sizeof(der));
        rc = n < 0 ? JG_INVALID : jg_sm2_verify(key, msg, strlen(msg), der, (size_t)n);
    }
    jg_sm2_key_free(key);
    return status(rc);
}

static int sm4_key(const char *hex, unsigned char key[JG_SM4_KEY_LEN])
{
    return strlen(hex) == 2 * JG_SM4_KEY_LEN && unhex(hex, key, JG_SM4_KEY_LEN) == JG_SM4_KEY_LEN;
}

static int cmd_seal(const char *keyhex, const char *context, const char *msg)
{
    unsigned char key[JG_SM4_KEY_LEN];
    if (!sm4_key(keyhex, key))
        return status(JG_INVALID);
    size_t size = JG_SM4_TOKEN_SIZE(strlen(msg));
    char *out = malloc(size);
    if (out == NULL)
        return 3;
    jg_rc rc = jg_sm4_seal(key, context, msg, strlen(msg), out, size);
    if (rc == JG_OK)
        puts(out);
    free(out);
    return status(rc);
}

static int cmd_open(const char *keyhex, const char *context, const char *token)
{
    static unsigned char out[MAX_TEXT];
    unsigned char key[JG_SM4_KEY_LEN];
    size_t n = 0;
    if (!sm4_key(keyhex, key))
        return status(JG_INVALID);
    jg_rc rc = jg_sm4_open(key, context, token, out, sizeof(out), &n);
    if (rc == JG_OK)
        print_hex(out, n);
    return status(rc);
}

static int cmd_index(const char *keyhex, const char *field, const char *value)
{
    unsigned char key[JG_SM4_KEY_LEN];
    char out[JG_SM4_INDEX_LEN + 1];
    if (!sm4_key(keyhex, key))
        return status(JG_INVALID);
    jg_rc rc = jg_sm4_blind_index(key, field, value, strlen(value), out);
    if (rc == JG_OK)
        puts(out);
    return status(rc);
}

/* ---- bench ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { OP_SIGN, OP_VERIFY, OP_DECRYPT, OP_ENCRYPT, OP_SEAL, OP_OPEN, OP_COUNT };
static const char *const OP_NAME[OP_COUNT] = {"sm2 sign (jg_sm2_sign)",
                                              "sm2 verify (jg_sm2_verify)",
                                              "sm2 decrypt (jg_sm2_decrypt_hex, 16 B)",
                                              "sm2 encrypt (jg_sm2_encrypt_hex, 16 B)",
                                              "sm4 seal (jg_sm4_seal, 18 B)",
                                              "sm4 open (jg_sm4_open, 18 B)"};

typedef struct {
    jg_sm2_key *key;
    jg_sm2_sig sig;
    char cipher[JG_SM2_CIPHER_HEX_SIZE(16)];
    char token[JG_SM4_TOKEN_SIZE(18)];
    unsigned char sm4key[JG_SM4_KEY_LEN];
} bench_state;

static jg_rc bench_once(bench_state *b, int op)
{
    static const char msg[] = "Jg@demo2026-login"; /* 16 bytes, a typical password */
    static const char idcard[] = "35010219900101123X";
    unsigned char out[64];
    char tmp[JG_SM2_CIPHER_HEX_SIZE(16)];
    size_t n;
    jg_sm2_sig sig;
    switch (op) {
    case OP_SIGN:
        return jg_sm2_sign(b->key, msg, 16, &sig);
    case OP_VERIFY:
        return jg_sm2_verify(b->key, msg, 16, b->sig.der, b->sig.der_len);
    case OP_DECRYPT:
        return jg_sm2_decrypt_hex(b->key, b->cipher, out, sizeof(out), &n);
    case OP_ENCRYPT:
        return jg_sm2_encrypt_hex(b->key, msg, 16, tmp, sizeof(tmp));
    case OP_SEAL:
        return jg_sm4_seal(b->sm4key, "person.id_card", idcard, 18, b->token, sizeof(b->token));
    default:
        return jg_sm4_open(b->sm4key, "person.id_card", b->token, out, sizeof(out), &n);
    }
}

static int cmd_bench(int rounds, double seconds)
{
    static const char msg[] = "Jg@demo2026-login";
    bench_state b;
    memset(&b, 0, sizeof(b));
    jg_rc rc = jg_sm2_keygen(&b.key);
    if (rc == JG_OK)
        rc = jg_sm2_sign(b.key, msg, 16, &b.sig);
    if (rc == JG_OK)
        rc = jg_sm2_encrypt_hex(b.key, msg, 16, b.cipher, sizeof(b.cipher));
    if (rc == JG_OK)
        rc = jg_crypto_random(b.sm4key, sizeof(b.sm4key));
    if (rc == JG_OK)
        rc = bench_once(&b, OP_SEAL);
    if (rc != JG_OK)
        return status(rc);
    printf("%-42s %12s   (median of %d runs of %.1f s, one thread)\n", "operation", "ops/s", rounds, seconds);
    for (int op = 0; op < OP_COUNT; op++) {
        double rate[64];
        for (int r = 0; r < rounds; r++) {
            long count = 0;
            double start = now(), t;
            do {
                for (int i = 0; i < 16; i++) {
                    rc = bench_once(&b, op);
                    if (rc != JG_OK) {
                        jg_sm2_key_free(b.key);
                        return status(rc);
                    }
                }
                count += 16;
                t = now() - start;
            } while (t < seconds);
            rate[r] = (double)count / t;
        }
        qsort(rate, (size_t)rounds, sizeof(rate[0]), cmp_double);
        double median = rounds % 2 ? rate[rounds / 2] : (rate[rounds / 2 - 1] + rate[rounds / 2]) / 2;
        printf("%-42s %12.1f   (min %.1f, max %.1f)\n", OP_NAME[op], median, rate[0], rate[rounds - 1]);
    }
    jg_sm2_key_free(b.key);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *verb = argv[1];
    if (strcmp(verb, "keygen") == 0 && argc == 3)
        return cmd_keygen(argv[2]);
    if (strcmp(verb, "pub") == 0 && argc == 3)
        return cmd_pub(argv[2]);
    if (strcmp(verb, "encrypt") == 0 && argc == 4)
        return cmd_encrypt(argv[2], argv[3]);
    if (strcmp(verb, "decrypt") == 0 && argc == 4)
        return cmd_decrypt(argv[2], argv[3]);
    if (strcmp(verb, "sign") == 0 && argc == 4)
        return cmd_sign(argv[2], argv[3]);
    if (strcmp(verb, "verify") == 0 && argc == 5)
        return cmd_verify(argv[2], argv[3], argv[4]);
    if (strcmp(verb, "seal") == 0 && argc == 5)
        return cmd_seal(argv[2], argv[3], argv[4]);
    if (strcmp(verb, "open") == 0 && argc == 5)
        return cmd_open(argv[2], argv[3], argv[4]);
    if (strcmp(verb, "index") == 0 && argc == 5)
        return cmd_index(argv[2], argv[3], argv[4]);
    if (strcmp(verb, "bench") == 0 && argc <= 4) {
        int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
        double seconds = argc > 3 ? strtod(argv[3], NULL) : 1.0;
        if (rounds < 1 || rounds > 64 || !(seconds > 0))
            return usage();
        return cmd_bench(rounds, seconds);
    }
    return usage();
}

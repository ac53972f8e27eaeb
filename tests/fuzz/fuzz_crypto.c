/* libFuzzer driver for the crypto parsers that take outside input: SM2 ciphertexts (login
 * passwords, hex from the browser) and SM4 field tokens (read back from the database). */
#include "crypto/crypto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static jg_sm2_key *key;
static const unsigned char master[JG_SM4_KEY_LEN] = "jianguan fuzz master key 32 byte";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (jg_sm2_keygen(&key) != JG_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    unsigned char out[4096];
    size_t n = 0;
    jg_rc rc = jg_sm2_decrypt_hex(key, text, out, sizeof(out), &n);
    if (rc == JG_OK && n > sizeof(out))
        abort();
    rc = jg_sm4_open(master, "fuzz", text, out, sizeof(out), &n);
    if (rc == JG_OK && n > sizeof(out))
        abort();
    free(text);
    return 0;
}

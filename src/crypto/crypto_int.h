/* Helpers shared by the files of src/crypto only; upper layers include crypto/crypto.h. */
#ifndef JG_CRYPTO_INT_H
#define JG_CRYPTO_INT_H
#include "base/rc.h"

#include <stddef.h>

/* Decode hexlen digits (either case) at in into hexlen / 2 bytes at out. JG_INVALID if hexlen
 * is odd or a character is not a hex digit (out is then partly written). */
jg_rc jg_crypto_hex_decode(const char *in, size_t hexlen, unsigned char *out);
/* Log what failed with the first OpenSSL error of this thread, clear the queue, return JG_ERR. */
jg_rc jg_crypto_ossl_fail(const char *what);

#endif

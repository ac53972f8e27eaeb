/* Helpers shared by the files of src/crypto only; upper layers include crypto/crypto.h. */
#ifndef JG_CRYPTO_INT_H
#define JG_CRYPTO_INT_H
#include "base/rc.h"

#include <stddef.h>

/* Log what failed with the first OpenSSL error of this thread, clear the queue, return JG_ERR. */
jg_rc jg_crypto_ossl_fail(const char *what);

#endif

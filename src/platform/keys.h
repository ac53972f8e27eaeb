/* Secrets kept as files under data_dir/keys (mode 0600), made on first use. */
#ifndef JG_KEYS_H
#define JG_KEYS_H
#include "base/rc.h"
#include "crypto/crypto.h"

#include <stddef.h>

/* Read len random bytes from data_dir/keys/NAME into out, creating the file from the CSPRNG when
 * it does not exist. JG_INVALID if the file exists with another length, JG_ERR on I/O errors. */
jg_rc jg_keys_secret(const char *data_dir, const char *name, unsigned char *out, size_t len);
/* Load the SM2 key pair in data_dir/keys/NAME (PKCS#8 PEM), generating and saving one when the
 * file does not exist. The caller frees *out with jg_sm2_key_free. */
jg_rc jg_keys_sm2(const char *data_dir, const char *name, jg_sm2_key **out);

#endif

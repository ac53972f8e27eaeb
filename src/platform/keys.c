/* Key files: created once with O_EXCL and mode 0600, read back on every start. */
#include "platform/keys.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEY_FILE 8192

static void key_path(const char *data_dir, const char *name, char *out, size_t outlen)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", data_dir);
    mkdir(dir, 0750);
    snprintf(dir, sizeof(dir), "%s/keys", data_dir);
    mkdir(dir, 0700);
    snprintf(out, outlen, "%s/%s", dir, name);
}

/* Read the whole file (at most max bytes) into buf; returns the length, or -1 (errno ENOENT when
 * it does not exist). */
static ssize_t read_file(const char *path, unsigned char *buf, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, max - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == max)
            break;
    }
    close(fd);
    return (ssize_t)n;
}

/* Create path with exactly these bytes; another process winning the race is fine (EEXIST). */
static jg_rc write_new(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? JG_OK : JG_ERR;
    ssize_t w = write(fd, data, len);
    int ok = w == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return JG_ERR;
    }
    return JG_OK;
}

jg_rc jg_keys_secret(const char *data_dir, const char *name, unsigned char *out, size_t len)
{
    char path[4200];
    key_path(data_dir, name, path, sizeof(path));
    unsigned char buf[MAX_KEY_FILE];
    ssize_t n = read_file(path, buf, sizeof(buf));
    if (n < 0) {
        jg_rc rc = jg_crypto_random(buf, len);
        if (rc == JG_OK)
            rc = write_new(path, buf, len);
        if (rc == JG_OK)
            n = read_file(path, buf, sizeof(buf));
        if (rc != JG_OK || n < 0) {
            jg_error("cannot create key file %s", path);
            OPENSSL_cleanse(buf, sizeof(buf));
            return JG_ERR;
        }
        jg_info("created key file %s", path);
    }
    jg_rc rc = (size_t)n == len ? JG_OK : JG_INVALID;
    if (rc == JG_OK)
        memcpy(out, buf, len);
    else
        jg_error("key file %s has %zd bytes, expected %zu", path, n, len);
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

jg_rc jg_keys_sm2(const char *data_dir, const char *name, jg_sm2_key **out)
{
    char path[4200];
    key_path(data_dir, name, path, sizeof(path));
    char pem[MAX_KEY_FILE];
    ssize_t n = read_file(path, (unsigned char *)pem, sizeof(pem) - 1);
    jg_rc rc = JG_OK;
    if (n < 0) {
        jg_sm2_key *fresh = NULL;
        rc = jg_sm2_keygen(&fresh);
        if (rc == JG_OK)
            rc = jg_sm2_key_to_pem(fresh, pem, sizeof(pem));
        jg_sm2_key_free(fresh);
        if (rc == JG_OK)
            rc = write_new(path, pem, strlen(pem));
        if (rc == JG_OK)
            n = read_file(path, (unsigned char *)pem, sizeof(pem) - 1);
        if (rc != JG_OK || n < 0) {
            jg_error("cannot create key file %s", path);
            OPENSSL_cleanse(pem, sizeof(pem));
            return JG_ERR;
        }
        jg_info("created key file %s", path);
    }
    rc = jg_sm2_key_from_pem(pem, (size_t)n, out);
    if (rc != JG_OK)
        jg_error("key file %s is not an SM2 private key", path);
    OPENSSL_cleanse(pem, sizeof(pem));
    return rc;
}

/* sha256: SHA-256 (OpenSSL's libcrypto, which uses the CPU's SHA
 * instructions where it has them), for recording and checking the checksums
 * of source data files, sampled rows and checkpointed weights.
 *
 * Every function returns 0, or -1 with error_message() saying why (out of
 * memory, an OpenSSL failure, a file that cannot be read). */
#ifndef NNMPI_SHA256_H
#define NNMPI_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* A running hash; zeroed before sha256_init, and sha256_free is safe on a
 * zeroed one. */
typedef struct {
    void *md; /* EVP_MD_CTX */
} sha256_t;

int sha256_init(sha256_t *h);
int sha256_update(sha256_t *h, const void *data, size_t n);
/* The digest as 64 lowercase hex digits plus NUL; frees h as sha256_free. */
int sha256_final_hex(sha256_t *h, char hex[65]);
void sha256_free(sha256_t *h);

/* The hash of a memory buffer, as raw bytes or as hex. */
int sha256_buffer(const void *data, size_t n, uint8_t digest[32]);
int sha256_buffer_hex(const void *data, size_t n, char hex[65]);

/* The hash of a whole file, as hex; the message names the file. */
int sha256_file_hex(const char *path, char hex[65]);

#endif

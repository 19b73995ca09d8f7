/* sha256: FIPS 180-4 SHA-256, for recording and checking the checksums of
 * source data files and of checkpointed weights. */
#ifndef NNMPI_SHA256_H
#define NNMPI_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t length;      /* bytes hashed so far */
    uint8_t block[64];    /* pending partial block */
    size_t used;          /* bytes in block */
} sha256_t;

void sha256_init(sha256_t *ctx);
void sha256_update(sha256_t *ctx, const void *data, size_t n);
void sha256_final(sha256_t *ctx, uint8_t digest[32]);

/* digest as 64 lowercase hex digits plus NUL */
void sha256_hex(const uint8_t digest[32], char hex[65]);

/* Hash of a memory buffer, as hex. */
void sha256_buffer_hex(const void *data, size_t n, char hex[65]);

/* Hash of a whole file, as hex; 0 or -1 with error_message() naming the file. */
int sha256_file_hex(const char *path, char hex[65]);

#endif

/* SHA-256 through OpenSSL's EVP interface: a maintained implementation that
 * picks the CPU's SHA extensions (SHA-NI, AVX2) at run time. */
#include "nnmpi/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "nnmpi/error.h"

static void to_hex(const uint8_t digest[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

int sha256_init(sha256_t *h)
{
    h->md = EVP_MD_CTX_new();
    if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL)) {
        sha256_free(h);
        return error_set("cannot start a SHA-256 hash (OpenSSL: out of memory or no provider)");
    }
    return 0;
}

int sha256_update(sha256_t *h, const void *data, size_t n)
{
    if (!h->md || !EVP_DigestUpdate(h->md, data, n))
        return error_set("SHA-256: OpenSSL could not hash %zu bytes", n);
    return 0;
}

int sha256_final_hex(sha256_t *h, char hex[65])
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    int ok = h->md && EVP_DigestFinal_ex(h->md, digest, NULL);
    sha256_free(h);
    if (!ok)
        return error_set("SHA-256: OpenSSL could not finish the hash");
    to_hex(digest, hex);
    return 0;
}

void sha256_free(sha256_t *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

int sha256_buffer(const void *data, size_t n, uint8_t digest[32])
{
    if (!EVP_Digest(data, n, digest, NULL, EVP_sha256(), NULL))
        return error_set("SHA-256: OpenSSL could not hash %zu bytes", n);
    return 0;
}

int sha256_buffer_hex(const void *data, size_t n, char hex[65])
{
    uint8_t digest[32];
    if (sha256_buffer(data, n, digest) < 0)
        return -1;
    to_hex(digest, hex);
    return 0;
}

int sha256_file_hex(const char *path, char hex[65])
{
    enum { BLOCK = 1 << 20 };
    FILE *f = fopen(path, "rb");
    if (!f)
        return error_set("%s: cannot open: %s", path, strerror(errno));
    uint8_t *buf = malloc(BLOCK);
    sha256_t h = {0};
    int rc = !buf ? error_set("out of memory for a 1 MiB read buffer") : sha256_init(&h);
    size_t got;
    while (!rc && (got = fread(buf, 1, BLOCK, f)) > 0)
        rc = sha256_update(&h, buf, got);
    if (!rc && ferror(f))
        rc = error_set("read error: %s", strerror(errno));
    free(buf);
    fclose(f);
    rc = rc ? rc : sha256_final_hex(&h, hex);
    sha256_free(&h);
    return rc ? error_prefix("%s", path) : 0;
}

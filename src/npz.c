/* npz: .npz archives through libzip; see npz.h. */
#include "nnmpi/npz.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"

/* libzip's words for an error code */
static const char *zip_code_text(int code)
{
    static __thread char text[128];
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    snprintf(text, sizeof text, "%s", zip_error_strerror(&e));
    zip_error_fini(&e);
    return text;
}

int npz_create(npz_t *z, const char *path)
{
    memset(z, 0, sizeof *z);
    zip_error_t e;
    zip_error_init(&e);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &e);
    /* kept past zip_close, which leaves the finished archive in it */
    zip_t *zip = src ? (zip_source_keep(src), zip_open_from_source(src, ZIP_TRUNCATE, &e)) : NULL;
    if (!zip) {
        error_set("%s: cannot make a zip archive in memory: %s", path, zip_error_strerror(&e));
        zip_error_fini(&e);
        if (src)
            zip_source_free(src);
        return -1;
    }
    zip_error_fini(&e);
    z->path = strdup(path);
    z->zip = zip;
    z->source = src;
    return z->path ? 0 : (npz_close(z), error_set("out of memory"));
}

int npz_add_bytes(npz_t *z, const char *name, const void *data, size_t n)
{
    void *copy = malloc(n ? n : 1); /* libzip frees it when the archive is written */
    zip_source_t *src = copy ? zip_source_buffer(z->zip, memcpy(copy, data, n), n, 1) : NULL;
    if (!src) {
        free(copy);
        return error_set("%s: out of memory for %s", z->path, name);
    }
    zip_int64_t at = zip_file_add(z->zip, name, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (at < 0) {
        zip_source_free(src);
        return error_set("%s: cannot add %s: %s", z->path, name, zip_strerror(z->zip));
    }
    /* stored, as numpy.savez writes: the weights hardly compress */
    zip_set_file_compression(z->zip, (zip_uint64_t)at, ZIP_CM_STORE, 0);
    return 0;
}

int npz_add_array(npz_t *z, const char *name, const float *data, int ndim, const uint64_t *shape)
{
    char header[256], member[64];
    size_t head = npy_header_write(header, sizeof header, ndim, shape);
    uint64_t count = 1;
    for (int i = 0; i < ndim; i++)
        count *= shape[i];
    size_t n = head + (size_t)count * sizeof(float);
    char *bytes = malloc(n);
    if (!head || !bytes) {
        free(bytes);
        return error_set("%s: cannot make the .npy of %s", z->path, name);
    }
    memcpy(bytes, header, head);
    memcpy(bytes + head, data, (size_t)count * sizeof(float)); /* little-endian float32 */
    snprintf(member, sizeof member, "%s.npy", name);
    int rc = npz_add_bytes(z, member, bytes, n);
    free(bytes);
    return rc;
}

/* The finished archive's bytes, malloc'd, from the writer's source. */
static void *archive_bytes(zip_source_t *src, size_t *n)
{
    zip_stat_t st;
    if (zip_source_open(src) < 0)
        return NULL;
    void *bytes = NULL;
    if (zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
        (bytes = malloc(st.size ? st.size : 1)) &&
        zip_source_read(src, bytes, st.size) != (zip_int64_t)st.size) {
        free(bytes);
        bytes = NULL;
    }
    zip_source_close(src);
    *n = bytes ? (size_t)st.size : 0;
    return bytes;
}

int npz_save(npz_t *z)
{
    if (zip_close(z->zip) < 0) {
        error_set("%s: cannot finish the zip archive: %s", z->path, zip_strerror(z->zip));
        zip_discard(z->zip);
        z->zip = NULL;
        return -1;
    }
    z->zip = NULL;
    size_t n;
    void *bytes = archive_bytes(z->source, &n);
    int rc = bytes ? fs_write_bytes(z->path, bytes, n)
                   : error_set("%s: cannot read back the zip archive made in memory", z->path);
    free(bytes);
    return rc;
}

int npz_open(npz_t *z, const char *path)
{
    memset(z, 0, sizeof *z);
    int code = 0;
    zip_t *zip = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!zip) {
        if (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS || code == ZIP_ER_CRC)
            return error_set("%s: not a readable .npz archive (libzip: %s)", path,
                             zip_code_text(code));
        return error_set("cannot open %s: %s", path, zip_code_text(code));
    }
    z->zip = zip;
    z->path = strdup(path);
    return z->path ? 0 : (npz_close(z), error_set("out of memory"));
}

int npz_has_array(npz_t *z, const char *name)
{
    char member[64];
    snprintf(member, sizeof member, "%s.npy", name);
    return zip_name_locate(z->zip, member, 0) >= 0;
}

void npz_list_arrays(npz_t *z, char *buf, size_t size)
{
    buf[0] = '\0';
    zip_int64_t n = zip_get_num_entries(z->zip, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z->zip, (zip_uint64_t)i, 0);
        size_t len = name ? strlen(name) : 0;
        if (len > 4 && !strcmp(name + len - 4, ".npy"))
            snprintf(buf + strlen(buf), size - strlen(buf), "%s%.*s", *buf ? ", " : "",
                     (int)(len - 4), name);
    }
}

/* Reads exactly n bytes of an open member; 0 or -1 naming it. */
static int read_exactly(npz_t *z, zip_file_t *f, const char *name, void *buf, size_t n)
{
    zip_int64_t got = zip_fread(f, buf, n);
    if (got == (zip_int64_t)n)
        return 0;
    return error_set("%s: %s.npy: %s", z->path, name,
                     got < 0 ? zip_file_strerror(f) : "shorter than its header says (truncated)");
}

/* The member's size as the archive claims it is checked against what its
 * compressed bytes can unpack to, since the header read next is checked
 * against that size and then chooses allocations: a stored member is its
 * own size, deflate expands at most 1032-fold. Other methods (bzip2, xz,
 * zstd; NumPy writes none of them) have no useful bound and are refused. */
static int check_member_size(const npz_t *z, const char *member, const zip_stat_t *st)
{
    const uint64_t ratio = 1032;
    if ((st->valid & (ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD)) !=
        (ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD))
        return error_set("%s: %s: the archive does not say how the member is stored", z->path,
                         member);
    uint64_t most;
    if (st->comp_method == ZIP_CM_STORE)
        most = st->comp_size;
    else if (st->comp_method == ZIP_CM_DEFLATE)
        most = st->comp_size > UINT64_MAX / ratio ? UINT64_MAX : st->comp_size * ratio;
    else
        return error_set("%s: %s is compressed with zip method %d; .npz members are stored or "
                         "deflated (numpy.savez, numpy.savez_compressed)", z->path, member,
                         (int)st->comp_method);
    if (st->size > most)
        return error_set("%s: %s claims %llu bytes, more than its %llu %s bytes can hold "
                         "(damaged archive?)", z->path, member, (unsigned long long)st->size,
                         (unsigned long long)st->comp_size,
                         st->comp_method == ZIP_CM_STORE ? "stored" : "compressed");
    return 0;
}

/* Opens NAME.npy; its uncompressed size into *size; NULL with a message. */
static zip_file_t *open_member(npz_t *z, const char *name, uint64_t *size)
{
    char member[64];
    snprintf(member, sizeof member, "%s.npy", name);
    zip_stat_t st;
    if (zip_stat(z->zip, member, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE)) {
        error_set("%s: no array '%s'", z->path, name);
        return NULL;
    }
    if (check_member_size(z, member, &st) < 0)
        return NULL;
    zip_file_t *f = zip_fopen(z->zip, member, 0);
    if (!f)
        error_set("%s: cannot read %s: %s", z->path, member, zip_strerror(z->zip));
    *size = st.size;
    return f;
}

/* The header of an open member into h, checked against its size. */
static int read_header(npz_t *z, zip_file_t *f, const char *name, uint64_t size,
                       npy_header_t *h)
{
    static __thread unsigned char head[NPY_MAX_HEADER + NPY_PREAMBLE + 2];
    size_t first = size < NPY_PREAMBLE + 2 ? (size_t)size : NPY_PREAMBLE + 2;
    if (read_exactly(z, f, name, head, first) < 0)
        return -1;
    size_t len = npy_header_size(head, first);
    if (len == 0 || len > size)
        return len ? error_set("%s: %s.npy: truncated header", z->path, name)
                   : error_prefix("%s: %s.npy", z->path, name);
    /* a version 1 header may claim fewer bytes than were read to learn
     * its length: then there is nothing more to read (and it cannot hold
     * a dict, which npy_header_read says) */
    if (len > first && read_exactly(z, f, name, head + first, len - first) < 0)
        return -1;
    if (npy_header_read(head, len, h) < 0)
        return error_prefix("%s: %s.npy", z->path, name);
    if (size - len != h->count * (uint64_t)h->itemsize) {
        char shape[64];
        npy_shape_text(h, shape, sizeof shape);
        return error_set("%s: %s.npy holds %llu bytes of values, its header says %s of %s "
                         "(damaged?)", z->path, name, (unsigned long long)(size - len), shape,
                         h->descr);
    }
    return 0;
}

int npz_array_header(npz_t *z, const char *name, npy_header_t *h)
{
    uint64_t size;
    zip_file_t *f = open_member(z, name, &size);
    if (!f)
        return -1;
    int rc = read_header(z, f, name, size, h);
    zip_fclose(f);
    return rc;
}

int npz_read_array(npz_t *z, const char *name, const npy_header_t *h, float *out)
{
    uint64_t size;
    npy_header_t again;
    zip_file_t *f = open_member(z, name, &size);
    if (!f)
        return -1;
    const size_t n = (size_t)(h->count * (uint64_t)h->itemsize);
    void *values = malloc(n ? n : 1);
    int rc = values ? read_header(z, f, name, size, &again)
                    : error_set("%s: out of memory for %s", z->path, name);
    if (!rc && (again.count != h->count || again.itemsize != h->itemsize))
        rc = error_set("%s: %s.npy changed while it was read", z->path, name);
    rc = rc ? rc : read_exactly(z, f, name, values, n);
    if (!rc) /* the member's CRC is checked at its end */
        rc = zip_fread(f, &again, 1) == 0 ? 0 : error_set("%s: %s.npy: damaged (%s)", z->path,
                                                         name, zip_file_strerror(f));
    if (!rc)
        npy_to_float(h, values, out);
    free(values);
    zip_fclose(f);
    return rc;
}

void npz_close(npz_t *z)
{
    if (z->zip)
        zip_discard(z->zip);
    if (z->source)
        zip_source_free(z->source);
    free(z->path);
    memset(z, 0, sizeof *z);
}

/* Tests of fsutil: temporaries named after their writer, stale ones of
 * dead writers removed and live or foreign ones kept, whole-file writes
 * that replace atomically, whole text files read, mkdir -p, same-file
 * detection, the size limit check and the names of file kinds. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnmpi/error.h"
#include "nnmpi/fsutil.h"
#include "testutil.h"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *read_all(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* The pid of a process that has ended (and been reaped). */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

static void test_tmp_name_says_host_and_pid(void)
{
    char tmp[PATH_MAX], host[256], want[PATH_MAX + 300];
    gethostname(host, sizeof host);
    CU_ASSERT_EQUAL(fs_tmp_name("/a/b.h5", tmp, sizeof tmp), 0);
    snprintf(want, sizeof want, "/a/b.h5.tmp.%s.%ld", host, (long)getpid());
    CU_ASSERT_STRING_EQUAL(tmp, want);
    CU_ASSERT_EQUAL(fs_tmp_name("/a/b.h5", tmp, 8), -1);
}

static void test_stale_tmps_of_dead_writers_only(void)
{
    char *dir = testutil_tmpdir(), host[256], name[PATH_MAX];
    gethostname(host, sizeof host);
    const char *path = testutil_path(dir, "data.h5");
    /* a dead writer's, a live one's (this process's parent), another
     * host's, another file's, and this process's own */
    snprintf(name, sizeof name, "%s.tmp.%s.%ld", path, host, (long)dead_pid());
    testutil_write_file(name, "x", 1);
    char dead[PATH_MAX];
    snprintf(dead, sizeof dead, "%s", name);
    snprintf(name, sizeof name, "%s.tmp.%s.%ld", path, host, (long)getppid());
    testutil_write_file(name, "x", 1);
    char live[PATH_MAX];
    snprintf(live, sizeof live, "%s", name);
    snprintf(name, sizeof name, "%s.tmp.%s-elsewhere.%ld", path, host, (long)dead_pid());
    testutil_write_file(name, "x", 1);
    char foreign[PATH_MAX];
    snprintf(foreign, sizeof foreign, "%s", name);
    snprintf(name, sizeof name, "%s.tmp.%s.%ld", testutil_path(dir, "other.h5"), host,
             (long)dead_pid());
    testutil_write_file(name, "x", 1);
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s", name);

    CU_ASSERT_EQUAL(fs_remove_stale_tmps(path), 1);
    CU_ASSERT(!exists(dead));
    CU_ASSERT(exists(live));
    CU_ASSERT(exists(foreign));
    CU_ASSERT(exists(other));
    CU_ASSERT_EQUAL(fs_remove_stale_tmps(testutil_path(dir, "none/x.h5")), 0); /* no folder */
    testutil_rmtree(dir);
    free(dir);
}

static void test_write_replaces_whole(void)
{
    char *dir = testutil_tmpdir();
    const char *path = testutil_path(dir, "a.txt");
    CU_ASSERT_EQUAL(fs_write_text(path, "first"), 0);
    CU_ASSERT_STRING_EQUAL(read_all(path), "first");
    CU_ASSERT_EQUAL(fs_write_text(path, "second, longer"), 0);
    CU_ASSERT_STRING_EQUAL(read_all(path), "second, longer");
    /* no temporary is left behind */
    char tmp[PATH_MAX];
    fs_tmp_name(path, tmp, sizeof tmp);
    CU_ASSERT(!exists(tmp));
    /* a folder that does not exist: a message naming the path, nothing made */
    const char *nowhere = testutil_path(dir, "no/such/b.txt");
    CU_ASSERT_EQUAL(fs_write_text(nowhere, "x"), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "no/such/b.txt"));
    testutil_rmtree(dir);
    free(dir);
}

/* A whole text file, past the first 4 KiB buffer; refused over the limit
 * (counted in MiB when it is whole MiB), with a NUL byte, or missing. */
static void test_read_text(void)
{
    char *dir = testutil_tmpdir();
    enum { N = 10000 };
    char *big = malloc((1 << 20) + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (int i = 0; i < (1 << 20) + 1; i++)
        big[i] = (char)('a' + i % 26);
    big[N] = '\0';
    const char *path = testutil_path(dir, "t.txt");
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(path, big), 0);
    char *text = fs_read_text(path, "thing", N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, big);
    free(text);
    CU_ASSERT_PTR_NULL(fs_read_text(path, "thing", N - 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "t.txt: thing file larger than 9999 bytes"));
    big[N] = 'x';
    big[(1 << 20) + 1] = '\0';
    CU_ASSERT_EQUAL_FATAL(testutil_write_text(path, big), 0);
    CU_ASSERT_PTR_NULL(fs_read_text(path, "config", 1 << 20));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "config file larger than 1 MiB"));
    free(big);

    CU_ASSERT_EQUAL_FATAL(testutil_write_file(path, "", 0), 0);
    text = fs_read_text(path, "thing", N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "");
    free(text);
    CU_ASSERT_EQUAL_FATAL(testutil_write_file(path, "a\0b", 3), 0);
    CU_ASSERT_PTR_NULL(fs_read_text(path, "thing", N));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "contains a NUL byte"));
    CU_ASSERT_PTR_NULL(fs_read_text(testutil_path(dir, "none.ini"), "config", N));
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "none.ini: cannot open config: No such file"));
    testutil_rmtree(dir);
    free(dir);
}

static void test_mkdir_p_and_same_file(void)
{
    char *dir = testutil_tmpdir(), deep[PATH_MAX], link_path[PATH_MAX];
    snprintf(deep, sizeof deep, "%s/x/y/z", dir);
    CU_ASSERT_EQUAL(fs_mkdir_p(deep), 0);
    CU_ASSERT(exists(deep));
    CU_ASSERT_EQUAL(fs_mkdir_p(deep), 0); /* again: fine */
    const char *file = testutil_path(dir, "f");
    testutil_write_file(file, "x", 1);
    char below_file[PATH_MAX];
    snprintf(below_file, sizeof below_file, "%s/f/g", dir);
    CU_ASSERT_EQUAL(fs_mkdir_p(below_file), -1); /* a file in the way */

    snprintf(link_path, sizeof link_path, "%s/x/up", dir);
    CU_ASSERT_EQUAL(symlink(dir, link_path), 0);
    char via_link[PATH_MAX];
    snprintf(via_link, sizeof via_link, "%s/x/up/f", dir);
    CU_ASSERT_EQUAL(fs_same_file(file, via_link), 1);
    char new_a[PATH_MAX], new_b[PATH_MAX];
    snprintf(new_a, sizeof new_a, "%s/x/up/new.h5", dir); /* neither exists */
    snprintf(new_b, sizeof new_b, "%s/new.h5", dir);
    CU_ASSERT_EQUAL(fs_same_file(new_a, new_b), 1);
    CU_ASSERT_EQUAL(fs_same_file(file, new_b), 0);
    testutil_rmtree(dir);
    free(dir);
}

static void test_size_limit_and_kinds(void)
{
    struct rlimit old, small = {1 << 20, 0};
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_max = old.rlim_max;
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
    CU_ASSERT_EQUAL(fs_check_size_limit("big.h5", 1 << 19), 0);
    CU_ASSERT_EQUAL(fs_check_size_limit("big.h5", 2 << 20), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "big.h5"));
    setrlimit(RLIMIT_FSIZE, &old);

    CU_ASSERT_STRING_EQUAL(fs_kind(S_IFDIR), "a folder");
    CU_ASSERT_STRING_EQUAL(fs_kind(S_IFIFO), "a FIFO");
    CU_ASSERT_STRING_EQUAL(fs_kind(S_IFSOCK), "a socket");
    CU_ASSERT_STRING_EQUAL(fs_kind(S_IFLNK), "a symbolic link");
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"a temporary's name says its host and pid", test_tmp_name_says_host_and_pid},
        {"only dead writers' temporaries of this host go", test_stale_tmps_of_dead_writers_only},
        {"a write replaces the whole file, or fails naming it", test_write_replaces_whole},
        {"a whole text file, or a refusal naming it", test_read_text},
        {"mkdir -p; the same file by other names", test_mkdir_p_and_same_file},
        {"the file size limit; kinds of files", test_size_limit_and_kinds},
        {NULL, NULL},
    };
    return testutil_run("fsutil", cases);
}

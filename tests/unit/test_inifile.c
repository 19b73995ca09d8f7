/* Tests of the strict INI reader: what it hands the callback (sections,
 * keys, values, line numbers, comments, a byte order mark, a very long
 * line) and what it refuses, each with the file and line in the message. */
#include <stdlib.h>
#include <string.h>

#include "nnmpi/error.h"
#include "nnmpi/inifile.h"
#include "testutil.h"

/* The callback's calls, one "LINE [SECTION] KEY=VALUE" (or "LINE
 * [SECTION]" for a header) per line of got. */
typedef struct {
    char got[8192];
    int stop_at; /* return 7 at this line (0: never) */
} record_t;

static int record(void *user, int line, const char *section, const char *key, const char *value)
{
    record_t *r = user;
    size_t n = strlen(r->got);
    if (key)
        snprintf(r->got + n, sizeof r->got - n, "%d [%s] %s=%s\n", line, section, key, value);
    else
        snprintf(r->got + n, sizeof r->got - n, "%d [%s]\n", line, section);
    return line == r->stop_at ? 7 : 0;
}

static void test_entries_and_comments(void)
{
    record_t r = {0};
    const char *text = "\xEF\xBB\xBF; a comment\n"
                       "# another\n"
                       "\n"
                       "[data]\n"
                       "file = data/x;y.h5\n"
                       "  [ train ]   ; the training\n"
                       "lr=0.1 ; the book's\n"
                       "dir = runs/a #b  # the run\n"
                       "empty =\n"
                       "\tepochs   =   10   \r\n";
    CU_ASSERT_EQUAL(inifile_parse(text, "t.ini", record, &r), 0);
    CU_ASSERT_STRING_EQUAL(r.got, "4 [data]\n"
                                  "5 [data] file=data/x;y.h5\n"
                                  "6 [train]\n"
                                  "7 [train] lr=0.1\n"
                                  "8 [train] dir=runs/a\n"
                                  "9 [train] empty=\n"
                                  "10 [train] epochs=10\n");
}

static int value_length(void *user, int line, const char *section, const char *key,
                        const char *value)
{
    (void)line, (void)section;
    if (key)
        *(size_t *)user = strlen(value);
    return 0;
}

static void test_long_line_is_whole(void)
{
    size_t n = 100000, got = 0;
    char *text = malloc(n + 32);
    strcpy(text, "[d]\nfile = ");
    size_t at = strlen(text);
    memset(text + at, 'x', n);
    strcpy(text + at + n, "\n");
    CU_ASSERT_EQUAL(inifile_parse(text, "long.ini", value_length, &got), 0);
    CU_ASSERT_EQUAL(got, n); /* (inih, as Debian builds it, would pass 200) */
    free(text);
}

static void test_callback_stops_the_parse(void)
{
    record_t r = {.stop_at = 2};
    CU_ASSERT_EQUAL(inifile_parse("[a]\nx = 1\ny = 2\n", "s.ini", record, &r), 7);
    CU_ASSERT_STRING_EQUAL(r.got, "1 [a]\n2 [a] x=1\n");
}

static void expect_refused(const char *text, const char *message)
{
    record_t r = {0};
    CU_ASSERT_EQUAL(inifile_parse(text, "bad.ini", record, &r), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), message));
    if (!strstr(error_message(), message))
        printf("\n    got: %s", error_message());
}

static void test_syntax_errors_name_file_and_line(void)
{
    expect_refused("[a]\njust words\n", "bad.ini:2: syntax error (expected '[section]' or 'key = value')");
    expect_refused("[a\n", "bad.ini:1: '[' without a closing ']'");
    expect_refused("[a] b\n", "bad.ini:1: text after the section header");
    expect_refused("\n\n[ ]\n", "bad.ini:3: a section needs a name");
    expect_refused("[a]\n = 3\n", "bad.ini:2: a key is missing before '='");
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"entries, comments, blanks, BOM, CRLF", test_entries_and_comments},
        {"a 100,000-character value stays whole", test_long_line_is_whole},
        {"the callback's status stops the parse", test_callback_stops_the_parse},
        {"syntax errors name the file and line", test_syntax_errors_name_file_and_line},
        {NULL, NULL},
    };
    return testutil_run("inifile", cases);
}

/* classnames: the comma-separated class names checked (count, empty,
 * blanks, control characters, length) and looked up by index. */
#include <string.h>

#include "nnmpi/classnames.h"
#include "nnmpi/error.h"
#include "testutil.h"

static void test_check(void)
{
    CU_ASSERT_EQUAL(classnames_check("T-shirt/top,Trouser,Pullover", 3), 0);
    CU_ASSERT_EQUAL(classnames_check("a,b", 3), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "2 class names for 3 classes"));
    CU_ASSERT_EQUAL(classnames_check("a,,c", 3), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "class name 2 is empty"));
    CU_ASSERT_EQUAL(classnames_check("a,b,", 3), -1);
    CU_ASSERT_EQUAL(classnames_check("", 1), -1);
    CU_ASSERT_EQUAL(classnames_check("a, b", 2), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "begins or ends with a blank"));
    CU_ASSERT_EQUAL(classnames_check("a,b\tc", 2), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "control character"));
    char long_name[CLASSNAMES_MAX_NAME + 3];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CU_ASSERT_EQUAL(classnames_check(long_name, 1), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(error_message(), "too long"));
    long_name[CLASSNAMES_MAX_NAME] = '\0';
    CU_ASSERT_EQUAL(classnames_check(long_name, 1), 0);
}

static void test_get(void)
{
    char buf[16];
    const char *names = "Up,Middle,Down";
    CU_ASSERT_STRING_EQUAL(classnames_get(names, 0, buf, sizeof buf), "Up");
    CU_ASSERT_STRING_EQUAL(classnames_get(names, 1, buf, sizeof buf), "Middle");
    CU_ASSERT_STRING_EQUAL(classnames_get(names, 2, buf, sizeof buf), "Down");
    CU_ASSERT_STRING_EQUAL(classnames_get(names, 3, buf, sizeof buf), "");
    CU_ASSERT_STRING_EQUAL(classnames_get(NULL, 0, buf, sizeof buf), "");
    CU_ASSERT_STRING_EQUAL(classnames_get(names, 1, buf, 4), "Mid"); /* cut to the buffer */
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"names checked", test_check},
        {"names looked up", test_get},
        {NULL, NULL},
    };
    return testutil_run("classnames", cases);
}

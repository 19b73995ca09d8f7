/* augment_spec: the option lists of `nnmpi prepare` and the `augmentation`
 * attribute: parsing, clear refusals, formatting and reading back. */
#include <stdio.h>
#include <string.h>

#include "nnmpi/augment.h"
#include "nnmpi/error.h"
#include "testutil.h"

static void test_shifts(void)
{
    augment_spec_t s;
    augment_spec_init(&s);
    CU_ASSERT_EQUAL(augment_parse_shifts("1,2", &s), 0);
    CU_ASSERT_EQUAL(s.n_shifts, 2);
    CU_ASSERT_EQUAL(s.shifts[0], 1);
    CU_ASSERT_EQUAL(s.shifts[1], 2);
    CU_ASSERT_EQUAL(augment_spec_copies(&s), 1 + 8);
    CU_ASSERT_EQUAL(augment_parse_shifts(" 3 , 13", &s), 0);
    CU_ASSERT_EQUAL(s.n_shifts, 2);
    CU_ASSERT_EQUAL(augment_parse_shifts("", &s), 0);
    CU_ASSERT_EQUAL(s.n_shifts, 0);
    CU_ASSERT_EQUAL(augment_parse_shifts(NULL, &s), 0);
}

static void test_defaults_and_copies(void)
{
    augment_spec_t s;
    augment_spec_init(&s);
    CU_ASSERT_EQUAL(augment_spec_copies(&s), 1);
    CU_ASSERT_EQUAL(s.alpha, 34.0);
    CU_ASSERT_EQUAL(s.sigma, 4.0);
    CU_ASSERT_EQUAL(augment_parse_elastic("3", &s), 0);
    s.n_angles = augment_parse_angles("-10,10", s.angles, AUGMENT_MAX_ANGLES);
    CU_ASSERT_EQUAL(augment_parse_shifts("1", &s), 0);
    CU_ASSERT_EQUAL(augment_spec_copies(&s), 1 + 2 + 4 + 3);
}

static void test_format_and_parse_back(void)
{
    static const char *texts[] = {
        "none",
        "rotations=-10,10",
        "rotations=3.5",
        "shifts=1,2",
        "elastic=2,alpha=34,sigma=4",
        "rotations=-10,10;shifts=1;elastic=2,alpha=34,sigma=4",
        "rotations=-15,-5,5,15;elastic=4,alpha=20.5,sigma=3",
        "shifts=2;elastic=1,alpha=0,sigma=0",
        "thickness=-1,1",
        "scale=-10,10",
        "gaps=2",
        "noise=1",
        "rotations=-10,10;thickness=-0.5,0.5,1;scale=-10,10;gaps=1;noise=1",
        "rotations=-10,10;shifts=1;elastic=2,alpha=34,sigma=4;thickness=2;scale=50;gaps=100;"
        "noise=100",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        augment_spec_t s;
        char buf[256];
        int rc = augment_spec_parse(texts[i], &s);
        if (rc)
            fprintf(stderr, "\n  \"%s\": %s\n", texts[i], error_message());
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_EQUAL(augment_spec_format(&s, buf, sizeof buf), 0);
        if (strcmp(buf, texts[i]))
            fprintf(stderr, "\n  \"%s\" came back as \"%s\"\n", texts[i], buf);
        CU_ASSERT_STRING_EQUAL(buf, texts[i]);
    }
    augment_spec_t s;
    CU_ASSERT_EQUAL(augment_spec_parse("", &s), 0);
    CU_ASSERT_EQUAL(augment_spec_copies(&s), 1);
    CU_ASSERT_EQUAL(augment_spec_parse("elastic=3", &s), 0); /* alpha, sigma default */
    CU_ASSERT_EQUAL(s.elastic, 3);
    CU_ASSERT_EQUAL(s.alpha, 34.0);
    CU_ASSERT_EQUAL(augment_spec_parse("rotations=-20,5;shifts=1", &s), 0);
    CU_ASSERT_EQUAL(augment_spec_max_angle(&s), 20.0);
    CU_ASSERT_EQUAL(augment_spec_parse("shifts=1", &s), 0);
    CU_ASSERT_EQUAL(augment_spec_max_angle(&s), 0.0);
    CU_ASSERT_EQUAL(augment_spec_parse("rotations=-15,10;thickness=1;gaps=3", &s), 0);
    CU_ASSERT_EQUAL(augment_spec_max_angle(&s), 15.0);
    CU_ASSERT_EQUAL(augment_spec_copies(&s), 1 + 2 + 1 + 3);
    char tiny[8];
    CU_ASSERT_EQUAL(augment_spec_parse("rotations=-10,10", &s), 0);
    CU_ASSERT_EQUAL(augment_spec_format(&s, tiny, sizeof tiny), -1);
}

static void test_pen_lists_and_counts(void)
{
    augment_spec_t s;
    augment_spec_init(&s);
    CU_ASSERT_EQUAL(augment_parse_thickness(" -1 , 0.5,2", &s), 0);
    CU_ASSERT_EQUAL(s.n_thickness, 3);
    CU_ASSERT_EQUAL(s.thickness[1], 0.5);
    CU_ASSERT_EQUAL(augment_parse_scales("-10,10", &s), 0);
    CU_ASSERT_EQUAL(s.n_scales, 2);
    CU_ASSERT_EQUAL(augment_parse_gaps("2", &s), 0);
    CU_ASSERT_EQUAL(augment_parse_noise("1", &s), 0);
    CU_ASSERT_EQUAL(augment_spec_copies(&s), 1 + 3 + 2 + 2 + 1);
    CU_ASSERT_EQUAL(augment_parse_thickness("", &s), 0);
    CU_ASSERT_EQUAL(s.n_thickness, 0);
    CU_ASSERT_EQUAL(augment_parse_scales(NULL, &s), 0);
    CU_ASSERT_EQUAL(s.n_scales, 0);
    double v[3];
    CU_ASSERT_EQUAL(augment_parse_list("1,2.5", "value", 0, 3, v, 3), 2);
    CU_ASSERT_EQUAL(v[1], 2.5);
}

typedef enum { SHIFTS, ELASTIC, SPEC, ALPHA, THICKNESS, SCALE, GAPS, NOISE } which_t;

/* The parser that `which` names, on text. */
static int parse_one(which_t which, const char *text, augment_spec_t *s)
{
    double v;
    switch (which) {
    case SHIFTS: return augment_parse_shifts(text, s);
    case ELASTIC: return augment_parse_elastic(text, s);
    case ALPHA: return augment_parse_number(text, "alpha", 0, 1000, &v);
    case THICKNESS: return augment_parse_thickness(text, s);
    case SCALE: return augment_parse_scales(text, s);
    case GAPS: return augment_parse_gaps(text, s);
    case NOISE: return augment_parse_noise(text, s);
    default: return augment_spec_parse(text, s);
    }
}

static void test_errors(void)
{
    static const struct {
        which_t which;
        const char *text, *fragment;
    } bad[] = {
        {SHIFTS, "0", "0 is outside 1..13"},
        {SHIFTS, "14", "14 is outside 1..13"},
        {SHIFTS, "-1", "-1 is outside 1..13"},
        {SHIFTS, "1,x", "\"x\" is not a whole number"},
        {SHIFTS, "1.5", "\"1.5\" is not a whole number"},
        {SHIFTS, "1,,2", "\"\" is not a whole number"},
        {SHIFTS, "2,", "\"\" is not a whole number"},
        {SHIFTS, "1,2,1", "1 is listed twice"},
        {SHIFTS, "1,2,3,4,5,6,7,8,9", "more than 8 distances"},
        {ELASTIC, "two", "\"two\" is not a whole number"},
        {ELASTIC, "-1", "-1 is outside 0..100"},
        {ELASTIC, "101", "101 is outside 0..100"},
        {ELASTIC, "", "\"\" is not a whole number"},
        {ALPHA, "x", "alpha \"x\" is not a number"},
        {ALPHA, "-3", "alpha -3 is outside 0..1000"},
        {ALPHA, "nan", "alpha nan is outside 0..1000"},
        {SPEC, "rotations", "\"rotations\" is not NAME=VALUE"},
        {SPEC, "rotations=10;shifts=0", "0 is outside 1..13"},
        {SPEC, "rotations=ten", "\"ten\" is not a number"},
        {SPEC, "elastic=2,beta=3", "unknown elastic setting \"beta\""},
        {SPEC, "elastic=2,alpha", "\"alpha\" should be alpha=A, sigma=S or bank=B"},
        {SPEC, "elastic=2,sigma=200", "sigma 200 is outside 0..100"},
        {THICKNESS, "3", "thickness \"3\" is outside -2..2"},
        {THICKNESS, "-2.5", "is outside -2..2"},
        {THICKNESS, "0", "0 would be a plain copy"},
        {THICKNESS, "1,-1,1", "1 is listed twice"},
        {THICKNESS, "1,x", "\"x\" is not a number"},
        {THICKNESS, "nan", "is outside -2..2"},
        {THICKNESS, "1,2,-1,-2,0.5,-0.5,1.5,-1.5,0.25", "more than 8 thicknesses"},
        {SCALE, "60", "scale \"60\" is outside -50..50"},
        {SCALE, "-10,0", "0 would be a plain copy"},
        {SCALE, "10%", "\"10%\" is not a number"},
        {GAPS, "-1", "-1 is outside 0..100"},
        {GAPS, "many", "\"many\" is not a whole number"},
        {NOISE, "101", "101 is outside 0..100"},
        {NOISE, "1.5", "\"1.5\" is not a whole number"},
        {SPEC, "rotations=10;thickness=9", "thickness \"9\" is outside -2..2"},
        {SPEC, "gaps=x", "\"x\" is not a whole number"},
        {SPEC, "noise=-3", "-3 is outside 0..100"},
        {SPEC, "scale=0", "0 would be a plain copy"},
        {SPEC, "blur=2", "unknown part \"blur\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        augment_spec_t s;
        augment_spec_init(&s);
        error_clear();
        int rc = parse_one(bad[i].which, bad[i].text, &s);
        const char *msg = error_message();
        int named = strstr(msg, bad[i].text) != NULL;
        if (rc != -1 || !named || !strstr(msg, bad[i].fragment))
            fprintf(stderr, "\n  \"%s\": %d, \"%s\"\n", bad[i].text, rc, msg);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT(named);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, bad[i].fragment));
    }
}

int main(void)
{
    static const testutil_case_t cases[] = {
        {"shift lists", test_shifts},
        {"defaults and copies per original", test_defaults_and_copies},
        {"attribute text: format and read back", test_format_and_parse_back},
        {"thickness and scale lists, gaps and noise counts", test_pen_lists_and_counts},
        {"errors name the text and the problem", test_errors},
        {NULL, NULL},
    };
    return testutil_run("augment_spec", cases);
}

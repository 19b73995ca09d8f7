/* libFuzzer harness: the configuration parser. The input is parsed as INI
 * text (config_load_text, as a file or a checkpoint's stored config is),
 * and each of its lines is also applied as a command-line override
 * (config_set, as `--set section.key=value` is).
 *
 * Invariant checked: a configuration that loaded, from INI text or from
 * overrides, is written out by config_to_text and that text loads again to
 * the same text (a checkpoint stores exactly this text and a resume parses
 * it back). The first finding broke it: a value starting with '#'. */
#include "fuzz_common.h"

#include <string.h>

#include "nnmpi/config.h"

static void round_trip(const config_t *cfg)
{
    char *text = config_to_text(cfg);
    if (!text)
        abort();
    static config_t again;
    config_defaults(&again);
    error_clear();
    if (config_load_text(&again, text, "round trip") < 0) {
        fprintf(stderr, "resolved text does not load: %s\n%s", error_message(), text);
        abort();
    }
    char *text2 = config_to_text(&again);
    if (!text2 || strcmp(text, text2)) {
        fprintf(stderr, "round trip changed the text:\n%s---\n%s", text, text2 ? text2 : "");
        abort();
    }
    free(text);
    free(text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    static config_t cfg; /* ~4 KB of paths: not on the stack */
    config_defaults(&cfg);
    error_clear();
    if (config_load_text(&cfg, text, "fuzz.ini") < 0)
        fuzz_expect_message("config_load_text");
    else
        round_trip(&cfg);
    config_validate(&cfg);

    /* every line as a --set override, over the defaults */
    config_defaults(&cfg);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        error_clear();
        if (config_set(&cfg, line, "--set") < 0)
            fuzz_expect_message("config_set");
    }
    round_trip(&cfg); /* what --set accepts, a checkpoint must keep too */
    config_validate(&cfg);
    free(text);
    return 0;
}

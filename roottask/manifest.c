#include "manifest.h"
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

/* A run of bytes inside the manifest text; never NUL-terminated. */
struct token {
    const char *start;
    size_t length;
};

/* The unread rest of one line (comment already cut off). */
struct cursor {
    const char *position;
    const char *end;
};

enum key {
    KEY_MICROAPP,
    KEY_IMAGE,
    KEY_PRIORITY,
    KEY_QUOTA,
    KEY_MEMORY,
    KEY_CAPABILITY,
    KEY_ARGUMENTS,
    KEY_FILE,
    KEY_SHARED,
    KEY_COUNT,
};

static const char *const key_names[KEY_COUNT] = {
    [KEY_MICROAPP] = "microapp",   [KEY_IMAGE] = "image",   [KEY_PRIORITY] = "priority",
    [KEY_QUOTA] = "quota",         [KEY_MEMORY] = "memory", [KEY_CAPABILITY] = "capability",
    [KEY_ARGUMENTS] = "arguments", [KEY_FILE] = "file",     [KEY_SHARED] = "shared",
};

struct parser {
    struct manifest *manifest;
    struct manifest_error *error;
    const struct manifest *launching_from; /* a launch spec (manifest_parse_launch): peers are apps of this one */
    unsigned line;
    struct manifest_app *app;      /* the Micro-App being read; NULL before the first "microapp" line */
    unsigned key_lines[KEY_COUNT]; /* where the current app's once-only keys were given; 0: not yet */
};

/* --- error messages: a tiny formatter, so that this file needs nothing beyond <string.h> ------- */

struct text_buffer {
    char *bytes;
    size_t size;
    size_t length;
};

static void append_char(struct text_buffer *buffer, char c)
{
    if (buffer->length + 1 < buffer->size) {
        buffer->bytes[buffer->length++] = c;
        buffer->bytes[buffer->length] = '\0';
    }
}

static void append_string(struct text_buffer *buffer, const char *string)
{
    while (*string) {
        append_char(buffer, *string++);
    }
}

static void append_decimal(struct text_buffer *buffer, uint64_t value)
{
    char digits[20];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (count) {
        append_char(buffer, digits[--count]);
    }
}

/* Sizes the way the manifest writes them: "256K", "16M", or plain bytes. */
static void append_size(struct text_buffer *buffer, uint64_t bytes)
{
    static const struct {
        uint64_t unit;
        char suffix;
    } units[] = {{MANIFEST_GIB, 'G'}, {MANIFEST_MIB, 'M'}, {MANIFEST_KIB, 'K'}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (bytes != 0 && bytes % units[i].unit == 0) {
            append_decimal(buffer, bytes / units[i].unit);
            append_char(buffer, units[i].suffix);
            return;
        }
    }
    append_decimal(buffer, bytes);
}

/* A token from the input, quoted; shortened, and with unprintable bytes shown as '?', so any input is safe. */
static void append_token(struct text_buffer *buffer, const struct token *token)
{
    enum { SHOWN = 40 };
    append_char(buffer, '\'');
    for (size_t i = 0; i < token->length && i < SHOWN; i++) {
        unsigned char c = (unsigned char)token->start[i];
        append_char(buffer, c >= 0x20 && c < 0x7f ? (char)c : '?');
    }
    if (token->length > SHOWN) {
        append_string(buffer, "...");
    }
    append_char(buffer, '\'');
}

/*
 * Records the error for line (0: the whole manifest). Conversions: %s C
 * string, %u unsigned, %x unsigned as two hex digits, %U uint64_t, %Z
 * uint64_t size, %T const struct token *.
 */
static enum error fail_at(struct parser *parser, unsigned line, const char *format, ...)
{
    struct manifest_error *error = parser->error;
    struct text_buffer buffer = {error->message, sizeof(error->message), 0};
    error->line = line;
    error->message[0] = '\0';
    append_string(&buffer, "manifest");
    if (line) {
        append_string(&buffer, " line ");
        append_decimal(&buffer, line);
    }
    append_string(&buffer, ": ");
    va_list arguments;
    va_start(arguments, format);
    for (const char *f = format; *f; f++) {
        if (*f != '%' || !f[1]) {
            append_char(&buffer, *f);
            continue;
        }
        switch (*++f) {
        case 's':
            append_string(&buffer, va_arg(arguments, const char *));
            break;
        case 'u':
            append_decimal(&buffer, va_arg(arguments, unsigned));
            break;
        case 'x': {
            unsigned value = va_arg(arguments, unsigned);
            append_char(&buffer, "0123456789abcdef"[(value >> 4) & 0xf]);
            append_char(&buffer, "0123456789abcdef"[value & 0xf]);
            break;
        }
        case 'U':
            append_decimal(&buffer, va_arg(arguments, uint64_t));
            break;
        case 'Z':
            append_size(&buffer, va_arg(arguments, uint64_t));
            break;
        case 'T':
            append_token(&buffer, va_arg(arguments, const struct token *));
            break;
        default:
            append_char(&buffer, *f);
            break;
        }
    }
    va_end(arguments);
    return ERROR_MALFORMED;
}

#define fail(parser, ...) fail_at((parser), (parser)->line, __VA_ARGS__)

/* --- tokens --------------------------------------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void skip_blanks(struct cursor *cursor)
{
    while (cursor->position < cursor->end && is_blank(*cursor->position)) {
        cursor->position++;
    }
}

/* The next blank-separated token; false at the end of the line. */
static bool next_token(struct cursor *cursor, struct token *token)
{
    skip_blanks(cursor);
    if (cursor->position == cursor->end) {
        return false;
    }
    token->start = cursor->position;
    while (cursor->position < cursor->end && !is_blank(*cursor->position)) {
        cursor->position++;
    }
    token->length = (size_t)(cursor->position - token->start);
    return true;
}

static bool token_equals(const struct token *token, const char *word)
{
    size_t length = strlen(word);
    return token->length == length && memcmp(token->start, word, length) == 0;
}

static bool token_starts_with(const struct token *token, const char *prefix)
{
    size_t length = strlen(prefix);
    return token->length >= length && memcmp(token->start, prefix, length) == 0;
}

/* Copies a token that was checked to fit (length < size). */
static void copy_token(char *destination, size_t size, const struct token *token)
{
    size_t length = token->length < size ? token->length : size - 1;
    memcpy(destination, token->start, length);
    destination[length] = '\0';
}

/* An app or region name (a letter, then letters, digits, '_' or '-') that fits size bytes with its NUL. */
static bool valid_name(const struct token *name, size_t size)
{
    if (name->length == 0 || name->length >= size || !is_letter(name->start[0])) {
        return false;
    }
    for (size_t i = 1; i < name->length; i++) {
        char c = name->start[i];
        if (!is_letter(c) && !is_digit(c) && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

static bool valid_app_name(const struct token *name)
{
    return valid_name(name, MANIFEST_NAME_SIZE);
}

/* An image or file name: a file of the boot archive, that fits size bytes with its NUL. */
static bool valid_file_name(const struct token *name, size_t size)
{
    if (name->length == 0 || name->length >= size) {
        return false;
    }
    for (size_t i = 0; i < name->length; i++) {
        char c = name->start[i];
        if (!is_letter(c) && !is_digit(c) && c != '_' && c != '-' && c != '.' && c != '/') {
            return false;
        }
    }
    return true;
}

/* The one value of a "key value" statement; anything after it is an error. */
static enum error single_value(struct parser *parser, struct cursor *cursor, const char *key, struct token *value)
{
    if (!next_token(cursor, value)) {
        return fail(parser, "'%s' needs a value", key);
    }
    struct token extra;
    if (next_token(cursor, &extra)) {
        return fail(parser, "unexpected %T after the value of '%s'", &extra, key);
    }
    return ERROR_NONE;
}

/* --- numbers -------------------------------------------------------------------------------- */

/* A decimal number with an optional K/M/G suffix (if allow_suffix), checked for overflow. */
static enum error parse_number(struct parser *parser, const char *what, const struct token *token, bool allow_suffix,
                               uint64_t *value)
{
    size_t digits = 0;
    uint64_t result = 0;
    while (digits < token->length && is_digit(token->start[digits])) {
        unsigned digit = (unsigned)(token->start[digits] - '0');
        if (result > (UINT64_MAX - digit) / 10) {
            return fail(parser, "%s %T is too large", what, token);
        }
        result = result * 10 + digit;
        digits++;
    }
    if (digits == 0) {
        return fail(parser, "%s %T is not a number", what, token);
    }
    size_t rest = token->length - digits;
    if (rest == 0) {
        *value = result;
        return ERROR_NONE;
    }
    char suffix = token->start[digits];
    uint64_t unit = suffix == 'K' ? MANIFEST_KIB : suffix == 'M' ? MANIFEST_MIB : suffix == 'G' ? MANIFEST_GIB : 0;
    if (!allow_suffix) {
        return fail(parser, "%s %T is not a number", what, token);
    }
    if (rest != 1 || unit == 0) {
        return fail(parser, "%s %T has an unknown suffix (use K, M or G)", what, token);
    }
    if (result > UINT64_MAX / unit) {
        return fail(parser, "%s %T is too large", what, token);
    }
    *value = result * unit;
    return ERROR_NONE;
}

static enum error parse_size_in_range(struct parser *parser, const char *what, const struct token *token,
                                      uint64_t minimum, uint64_t maximum, uint64_t *value)
{
    enum error error = parse_number(parser, what, token, true, value);
    if (error != ERROR_NONE) {
        return error;
    }
    if (*value < minimum || *value > maximum) {
        return fail(parser, "%s %T is out of range (%Z..%Z)", what, token, minimum, maximum);
    }
    return ERROR_NONE;
}

/* --- statements ----------------------------------------------------------------------------- */

/* Checks a finished Micro-App block: what can only be judged once all its lines are read. */
static enum error finish_app(struct parser *parser)
{
    struct manifest_app *app = parser->app;
    if (!app) {
        return ERROR_NONE;
    }
    if (app->image[0] == '\0') {
        return fail_at(parser, app->line, "microapp '%s' has no 'image' line", app->name);
    }
    uint64_t factories = 0;
    for (size_t i = 0; i < app->capability_count; i++) {
        if (app->capabilities[i].type == MANIFEST_CAPABILITY_FACTORY) {
            factories += app->capabilities[i].quota; /* each <= 4G, at most 16: cannot overflow */
        }
    }
    if (factories > app->quota || app->quota - factories < MANIFEST_MIN_OWN_QUOTA) {
        return fail_at(parser, app->line,
                       "microapp '%s': its factories' quotas (%Z) leave less than %Z of its quota (%Z) for itself",
                       app->name, factories, (uint64_t)MANIFEST_MIN_OWN_QUOTA, app->quota);
    }
    return ERROR_NONE;
}

static enum error parse_microapp(struct parser *parser, struct cursor *cursor)
{
    enum error error = finish_app(parser);
    if (error != ERROR_NONE) {
        return error;
    }
    struct token name;
    error = single_value(parser, cursor, "microapp", &name);
    if (error != ERROR_NONE) {
        return error;
    }
    if (!valid_app_name(&name)) {
        return fail(parser,
                    "microapp name %T is invalid (a letter, then letters, digits, '_' or '-'; at most %u bytes)", &name,
                    (unsigned)MANIFEST_NAME_SIZE - 1);
    }
    struct manifest *manifest = parser->manifest;
    for (size_t i = 0; i < manifest->app_count; i++) {
        if (token_equals(&name, manifest->apps[i].name)) {
            return fail(parser, "microapp %T is declared twice (first on line %u)", &name, manifest->apps[i].line);
        }
    }
    if (manifest->app_count == MANIFEST_MAX_APPS) {
        return fail(parser, "too many microapps (at most %u)", (unsigned)MANIFEST_MAX_APPS);
    }
    struct manifest_app *app = &manifest->apps[manifest->app_count++];
    memset(app, 0, sizeof(*app));
    copy_token(app->name, sizeof(app->name), &name);
    app->priority = MANIFEST_DEFAULT_PRIORITY;
    app->quota = MANIFEST_DEFAULT_QUOTA;
    app->memory = MANIFEST_DEFAULT_MEMORY;
    app->line = parser->line;
    parser->app = app;
    memset(parser->key_lines, 0, sizeof(parser->key_lines));
    return ERROR_NONE;
}

static enum error parse_image(struct parser *parser, struct cursor *cursor)
{
    struct token name;
    enum error error = single_value(parser, cursor, "image", &name);
    if (error != ERROR_NONE) {
        return error;
    }
    if (!valid_file_name(&name, MANIFEST_IMAGE_SIZE)) {
        return fail(parser, "image name %T is invalid (letters, digits, '_', '-', '.', '/'; at most %u bytes)", &name,
                    (unsigned)MANIFEST_IMAGE_SIZE - 1);
    }
    copy_token(parser->app->image, sizeof(parser->app->image), &name);
    return ERROR_NONE;
}

static enum error parse_priority(struct parser *parser, struct cursor *cursor)
{
    struct token token;
    uint64_t value;
    enum error error = single_value(parser, cursor, "priority", &token);
    if (error == ERROR_NONE) {
        error = parse_number(parser, "priority", &token, false, &value);
    }
    if (error != ERROR_NONE) {
        return error;
    }
    if (value < MANIFEST_MIN_PRIORITY || value > MANIFEST_MAX_PRIORITY) {
        return fail(parser, "priority %T is out of range (%u..%u)", &token, (unsigned)MANIFEST_MIN_PRIORITY,
                    (unsigned)MANIFEST_MAX_PRIORITY);
    }
    parser->app->priority = (uint8_t)value;
    return ERROR_NONE;
}

static enum error parse_quota(struct parser *parser, struct cursor *cursor)
{
    struct token token;
    enum error error = single_value(parser, cursor, "quota", &token);
    if (error != ERROR_NONE) {
        return error;
    }
    return parse_size_in_range(parser, "quota", &token, MANIFEST_MIN_QUOTA, MANIFEST_MAX_QUOTA, &parser->app->quota);
}

static enum error parse_memory(struct parser *parser, struct cursor *cursor)
{
    struct token token;
    enum error error = single_value(parser, cursor, "memory", &token);
    if (error == ERROR_NONE) {
        error = parse_size_in_range(parser, "memory", &token, 0, MANIFEST_MAX_MEMORY, &parser->app->memory);
    }
    if (error != ERROR_NONE) {
        return error;
    }
    if (parser->app->memory % MANIFEST_PAGE_SIZE != 0) {
        return fail(parser, "memory %T is not a multiple of 4K", &token);
    }
    return ERROR_NONE;
}

/* The option a capability source takes ("quota=" for a factory, "memory=" for a launcher), or NULL. */
static const char *capability_option(enum manifest_capability_type type)
{
    switch (type) {
    case MANIFEST_CAPABILITY_FACTORY:
        return "quota";
    case MANIFEST_CAPABILITY_LAUNCHER:
        return "memory";
    default:
        return NULL;
    }
}

/* The options after a capability source: exactly its one sized option (capability_option), where it has one. */
static enum error parse_capability_options(struct parser *parser, struct cursor *cursor,
                                           struct manifest_capability *capability)
{
    const char *option_name = capability_option(capability->type);
    bool has_option = false;
    struct token option;
    while (next_token(cursor, &option)) {
        if (!option_name) {
            return fail(parser, "capability '%s' takes no options, found %T", capability->name, &option);
        }
        size_t name_length = strlen(option_name);
        if (option.length <= name_length || memcmp(option.start, option_name, name_length) != 0 ||
            option.start[name_length] != '=') {
            return fail(parser, "unknown option %T for capability '%s' (known: %s=<size>)", &option, capability->name,
                        option_name);
        }
        if (has_option) {
            return fail(parser, "option '%s' is given twice for capability '%s'", option_name, capability->name);
        }
        struct token value = {option.start + name_length + 1, option.length - name_length - 1};
        enum error error = capability->type == MANIFEST_CAPABILITY_FACTORY
                               ? parse_size_in_range(parser, "factory quota", &value, MANIFEST_MIN_FACTORY_QUOTA,
                                                     MANIFEST_MAX_QUOTA, &capability->quota)
                               : parse_size_in_range(parser, "launcher memory", &value, 0, MANIFEST_MAX_LAUNCHER_MEMORY,
                                                     &capability->memory);
        if (error != ERROR_NONE) {
            return error;
        }
        has_option = true;
    }
    if (option_name && !has_option) {
        return fail(parser, "capability '%s' needs %s=<size>", capability->name, option_name);
    }
    return ERROR_NONE;
}

static enum error parse_capability_source(struct parser *parser, const struct token *source,
                                          struct manifest_capability *capability)
{
    static const struct {
        const char *name;
        enum manifest_capability_type type;
    } plain[] = {
        {"log", MANIFEST_CAPABILITY_LOG},
        {"factory", MANIFEST_CAPABILITY_FACTORY},
        {"scheduler", MANIFEST_CAPABILITY_SCHEDULER},
        {"icu", MANIFEST_CAPABILITY_ICU},
        {"io_ports", MANIFEST_CAPABILITY_IO_PORTS},
        {"device_memory", MANIFEST_CAPABILITY_DEVICE_MEMORY},
        {"dma_memory", MANIFEST_CAPABILITY_DMA_MEMORY},
        {"launcher", MANIFEST_CAPABILITY_LAUNCHER},
        {"clock", MANIFEST_CAPABILITY_CLOCK},
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        if (token_equals(source, plain[i].name)) {
            capability->type = plain[i].type;
            copy_token(capability->name, sizeof(capability->name), source);
            return ERROR_NONE;
        }
    }
    if (!token_starts_with(source, "peer:")) {
        return fail(parser,
                    "unknown capability %T (known: log, factory, scheduler, clock, icu, io_ports, device_memory, "
                    "dma_memory, launcher, peer:<app>)",
                    source);
    }
    struct token peer = {source->start + 5, source->length - 5};
    if (!valid_app_name(&peer)) {
        return fail(parser, "peer name %T is not a valid microapp name", &peer);
    }
    if (source->length >= sizeof(capability->name)) {
        return fail(parser, "capability name %T is longer than %u bytes", source,
                    (unsigned)sizeof(capability->name) - 1);
    }
    capability->type = MANIFEST_CAPABILITY_PEER;
    copy_token(capability->name, sizeof(capability->name), source); /* resolved once all apps are known */
    return ERROR_NONE;
}

static enum error parse_capability(struct parser *parser, struct cursor *cursor)
{
    struct manifest_app *app = parser->app;
    struct token source;
    if (!next_token(cursor, &source)) {
        return fail(parser, "'capability' needs a value");
    }
    if (app->capability_count == MANIFEST_MAX_CAPABILITIES) {
        return fail(parser, "too many capabilities for microapp '%s' (at most %u)", app->name,
                    (unsigned)MANIFEST_MAX_CAPABILITIES);
    }
    struct manifest_capability capability = {.line = parser->line};
    enum error error = parse_capability_source(parser, &source, &capability);
    if (error != ERROR_NONE) {
        return error;
    }
    for (size_t i = 0; i < app->capability_count; i++) {
        if (strcmp(app->capabilities[i].name, capability.name) == 0) {
            return fail(parser, "capability '%s' is given twice for microapp '%s' (first on line %u)", capability.name,
                        app->name, app->capabilities[i].line);
        }
    }
    error = parse_capability_options(parser, cursor, &capability);
    if (error != ERROR_NONE) {
        return error;
    }
    app->capabilities[app->capability_count++] = capability;
    return ERROR_NONE;
}

static enum error parse_arguments(struct parser *parser, struct cursor *cursor)
{
    skip_blanks(cursor);
    const char *end = cursor->end;
    while (end > cursor->position && is_blank(end[-1])) {
        end--;
    }
    size_t length = (size_t)(end - cursor->position);
    if (length == 0) {
        return fail(parser, "'arguments' needs a value");
    }
    if (length >= MANIFEST_ARGUMENTS_SIZE) {
        return fail(parser, "arguments are longer than %u bytes", (unsigned)MANIFEST_ARGUMENTS_SIZE - 1);
    }
    memcpy(parser->app->arguments, cursor->position, length);
    parser->app->arguments[length] = '\0';
    return ERROR_NONE;
}

static enum error parse_file(struct parser *parser, struct cursor *cursor)
{
    struct manifest_app *app = parser->app;
    struct token name;
    enum error error = single_value(parser, cursor, "file", &name);
    if (error != ERROR_NONE) {
        return error;
    }
    if (!valid_file_name(&name, MANIFEST_FILE_SIZE)) {
        return fail(parser, "file name %T is invalid (letters, digits, '_', '-', '.', '/'; at most %u bytes)", &name,
                    (unsigned)MANIFEST_FILE_SIZE - 1);
    }
    if (app->file_count == MANIFEST_MAX_FILES) {
        return fail(parser, "too many files for microapp '%s' (at most %u)", app->name, (unsigned)MANIFEST_MAX_FILES);
    }
    for (size_t i = 0; i < app->file_count; i++) {
        if (token_equals(&name, app->files[i].name)) {
            return fail(parser, "file %T is given twice for microapp '%s' (first on line %u)", &name, app->name,
                        app->files[i].line);
        }
    }
    struct manifest_file *file = &app->files[app->file_count++];
    copy_token(file->name, sizeof(file->name), &name);
    file->line = parser->line;
    return ERROR_NONE;
}

/* The manifest-wide region name stands for (*region): a new one, or a known one that must have the same size. */
static enum error find_region(struct parser *parser, const struct token *name, uint64_t size, size_t *region)
{
    struct manifest *manifest = parser->manifest;
    for (*region = 0; *region < manifest->region_count; (*region)++) {
        struct manifest_region *known = &manifest->regions[*region];
        if (token_equals(name, known->name)) {
            if (known->size != size) {
                return fail(parser, "shared region %T is %Z here but %Z on line %u", name, size, known->size,
                            known->line);
            }
            known->users++;
            return ERROR_NONE;
        }
    }
    if (manifest->region_count == MANIFEST_MAX_SHARED_REGIONS) {
        return fail(parser, "too many shared regions (at most %u in a manifest)",
                    (unsigned)MANIFEST_MAX_SHARED_REGIONS);
    }
    struct manifest_region *added = &manifest->regions[manifest->region_count++];
    copy_token(added->name, sizeof(added->name), name);
    added->size = size;
    added->users = 1;
    added->line = parser->line;
    return ERROR_NONE;
}

/* A region's size: whole pages, MANIFEST_MIN_SHARED_SIZE..MANIFEST_MAX_SHARED_SIZE. */
static enum error parse_shared_size(struct parser *parser, const struct token *token, uint64_t *size)
{
    enum error error =
        parse_size_in_range(parser, "shared size", token, MANIFEST_MIN_SHARED_SIZE, MANIFEST_MAX_SHARED_SIZE, size);
    if (error == ERROR_NONE && *size % MANIFEST_PAGE_SIZE != 0) {
        return fail(parser, "shared size %T is not a multiple of 4K", token);
    }
    return error;
}

static enum error parse_shared(struct parser *parser, struct cursor *cursor)
{
    struct manifest_app *app = parser->app;
    struct token name;
    struct token size_token;
    struct token extra;
    if (!next_token(cursor, &name) || !next_token(cursor, &size_token)) {
        return fail(parser, "'shared' needs a name and a size");
    }
    if (next_token(cursor, &extra)) {
        return fail(parser, "unexpected %T after the size of 'shared'", &extra);
    }
    if (!valid_name(&name, MANIFEST_SHARED_NAME_SIZE)) {
        return fail(parser,
                    "shared region name %T is invalid (a letter, then letters, digits, '_' or '-'; at most %u bytes)",
                    &name, (unsigned)MANIFEST_SHARED_NAME_SIZE - 1);
    }
    uint64_t size;
    enum error error = parse_shared_size(parser, &size_token, &size);
    if (error != ERROR_NONE) {
        return error;
    }
    if (app->shared_count == MANIFEST_MAX_SHARED) {
        return fail(parser, "too many shared regions for microapp '%s' (at most %u)", app->name,
                    (unsigned)MANIFEST_MAX_SHARED);
    }
    for (size_t i = 0; i < app->shared_count; i++) {
        if (token_equals(&name, app->shared[i].name)) {
            return fail(parser, "shared region %T is given twice for microapp '%s' (first on line %u)", &name,
                        app->name, app->shared[i].line);
        }
    }
    struct manifest_shared *shared = &app->shared[app->shared_count];
    /* A launched app's regions are its launcher's memory (launch_service.h), not regions of a manifest. */
    error = parser->launching_from ? ERROR_NONE : find_region(parser, &name, size, &shared->region);
    if (error != ERROR_NONE) {
        return error;
    }
    app->shared_count++;
    copy_token(shared->name, sizeof(shared->name), &name);
    shared->size = size;
    shared->line = parser->line;
    return ERROR_NONE;
}

typedef enum error (*statement_parser)(struct parser *parser, struct cursor *cursor);

static const statement_parser statement_parsers[KEY_COUNT] = {
    [KEY_MICROAPP] = parse_microapp,   [KEY_IMAGE] = parse_image,   [KEY_PRIORITY] = parse_priority,
    [KEY_QUOTA] = parse_quota,         [KEY_MEMORY] = parse_memory, [KEY_CAPABILITY] = parse_capability,
    [KEY_ARGUMENTS] = parse_arguments, [KEY_FILE] = parse_file,     [KEY_SHARED] = parse_shared,
};

static enum error parse_statement(struct parser *parser, const struct token *key_token, struct cursor *cursor)
{
    enum key key = KEY_COUNT;
    for (enum key k = 0; k < KEY_COUNT; k++) {
        if (token_equals(key_token, key_names[k])) {
            key = k;
        }
    }
    if (key == KEY_COUNT) {
        return fail(parser, "unknown key %T", key_token);
    }
    if (key != KEY_MICROAPP) {
        if (!parser->app) {
            return fail(parser, "'%s' before the first 'microapp' line", key_names[key]);
        }
        if (key != KEY_CAPABILITY && key != KEY_FILE && key != KEY_SHARED && parser->key_lines[key]) {
            return fail(parser, "'%s' is given twice for microapp '%s' (first on line %u)", key_names[key],
                        parser->app->name, parser->key_lines[key]);
        }
        parser->key_lines[key] = parser->line;
    }
    return statement_parsers[key](parser, cursor);
}

static enum error parse_line(struct parser *parser, const char *line, size_t length)
{
    if (length > MANIFEST_MAX_LINE) {
        return fail(parser, "line is longer than %u bytes", (unsigned)MANIFEST_MAX_LINE);
    }
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)line[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return fail(parser, "control byte 0x%x at column %u (only spaces and tabs are allowed)", (unsigned)c,
                        (unsigned)i + 1);
        }
    }
    const char *comment = memchr(line, '#', length);
    struct cursor cursor = {line, comment ? comment : line + length};
    struct token key;
    if (!next_token(&cursor, &key)) {
        return ERROR_NONE; /* blank or comment only */
    }
    return parse_statement(parser, &key, &cursor);
}

/* Resolves "peer:<app>" once every Micro-App is known (a peer may be declared later). */
static enum error resolve_peers(struct parser *parser)
{
    struct manifest *manifest = parser->manifest;
    for (size_t a = 0; a < manifest->app_count; a++) {
        struct manifest_app *app = &manifest->apps[a];
        for (size_t c = 0; c < app->capability_count; c++) {
            struct manifest_capability *capability = &app->capabilities[c];
            if (capability->type != MANIFEST_CAPABILITY_PEER) {
                continue;
            }
            const char *peer_name = capability->name + 5;
            const struct manifest *peers = parser->launching_from ? parser->launching_from : manifest;
            const struct manifest_app *peer = manifest_find_app(peers, peer_name);
            if (!peer) {
                return fail_at(parser, capability->line, "peer '%s' is not a microapp of %s", peer_name,
                               parser->launching_from ? "the boot manifest" : "this manifest");
            }
            if (peer == app) {
                return fail_at(parser, capability->line, "microapp '%s' cannot be its own peer", app->name);
            }
            capability->peer = (size_t)(peer - peers->apps);
        }
    }
    return ERROR_NONE;
}

/* A region only one app names shares nothing: almost certainly a misspelt name, so it is refused. */
static enum error check_regions_shared(struct parser *parser)
{
    const struct manifest *manifest = parser->manifest;
    for (size_t r = 0; r < manifest->region_count; r++) {
        if (manifest->regions[r].users < 2) {
            return fail_at(parser, manifest->regions[r].line, "shared region '%s' is named by no other microapp",
                           manifest->regions[r].name);
        }
    }
    return ERROR_NONE;
}

/* Reads every line into parser->manifest; the checks of a whole manifest follow in the callers. */
static enum error parse_lines(struct parser *parser, const char *text, size_t size)
{
    if (size > MANIFEST_MAX_SIZE) {
        return fail_at(parser, 0, "is larger than %Z", (uint64_t)MANIFEST_MAX_SIZE);
    }
    size_t position = 0;
    while (position < size) {
        parser->line++;
        const char *start = text + position;
        const char *newline = memchr(start, '\n', size - position);
        size_t length = newline ? (size_t)(newline - start) : size - position;
        position += length + (newline ? 1 : 0);
        if (newline && length > 0 && start[length - 1] == '\r') {
            length--; /* CR LF line ends */
        }
        if (parse_line(parser, start, length) != ERROR_NONE) {
            return ERROR_MALFORMED;
        }
    }
    if (finish_app(parser) != ERROR_NONE) {
        return ERROR_MALFORMED;
    }
    if (parser->manifest->app_count == 0) {
        return fail_at(parser, 0, "no 'microapp' entry");
    }
    return resolve_peers(parser);
}

enum error manifest_parse(const char *text, size_t size, struct manifest *manifest, struct manifest_error *error)
{
    memset(manifest, 0, sizeof(*manifest));
    memset(error, 0, sizeof(*error));
    struct parser parser = {.manifest = manifest, .error = error};
    if (parse_lines(&parser, text, size) != ERROR_NONE) {
        return ERROR_MALFORMED;
    }
    return check_regions_shared(&parser);
}

enum error manifest_parse_launch(const char *text, size_t size, const struct manifest *boot, struct manifest *spec,
                                 struct manifest_error *error)
{
    memset(spec, 0, sizeof(*spec));
    memset(error, 0, sizeof(*error));
    struct parser parser = {.manifest = spec, .error = error, .launching_from = boot};
    if (parse_lines(&parser, text, size) != ERROR_NONE) {
        return ERROR_MALFORMED;
    }
    if (spec->app_count != 1) {
        return fail_at(&parser, 0, "a launch spec describes exactly one microapp, not %u", (unsigned)spec->app_count);
    }
    return ERROR_NONE;
}

const struct manifest_app *manifest_find_app(const struct manifest *manifest, const char *name)
{
    for (size_t i = 0; i < manifest->app_count; i++) {
        if (strcmp(manifest->apps[i].name, name) == 0) {
            return &manifest->apps[i];
        }
    }
    return NULL;
}

/* Unit tests for the log service (roottask/log_service.c): line assembly and message checks. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "fake_kernel.h"
#include "log_service.h"

#include <kapsel/environment.h>
#include <string.h>

static uint64_t message[MESSAGE_REGISTERS];
static struct log_line line;

/* Sends text as one LABEL_LOG_WRITE message the way the runtime does; returns the service's verdict. */
static enum error send_text(const char *text, size_t length)
{
    memset(message, 0, sizeof(message));
    message[0] = length;
    memcpy(&message[1], text, length);
    unsigned words = 1 + (unsigned)((length + 7) / 8);
    return log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, words, 0), message);
}

static const char *printed_by(const char *text)
{
    fake_capture_begin();
    assert_int_equal(send_text(text, strlen(text)), ERROR_NONE);
    return fake_capture_end();
}

static int setup(void **state)
{
    (void)state;
    memset(&line, 0, sizeof(line));
    return 0;
}

static void lines_are_printed_with_the_app_name(void **state)
{
    (void)state;
    assert_string_equal(printed_by("hello\nworld\n"), "[app] hello\n[app] world\n");
}

static void partial_lines_wait_for_their_newline(void **state)
{
    (void)state;
    assert_string_equal(printed_by("par"), "");
    assert_string_equal(printed_by("tial"), "");
    assert_string_equal(printed_by(" line\nnext"), "[app] partial line\n");
    fake_capture_begin();
    log_service_flush("app", &line);
    assert_string_equal(fake_capture_end(), "[app] next\n");
    fake_capture_begin();
    log_service_flush("app", &line); /* nothing left */
    assert_string_equal(fake_capture_end(), "");
}

static void empty_lines_are_printed(void **state)
{
    (void)state;
    assert_string_equal(printed_by("\n\n"), "[app] \n[app] \n");
}

static void control_bytes_are_shown_as_question_marks(void **state)
{
    (void)state;
    static const char text[] = "a\033[2Jb\0c\td\r\n";
    fake_capture_begin();
    assert_int_equal(send_text(text, sizeof(text) - 1), ERROR_NONE);
    assert_string_equal(fake_capture_end(), "[app] a?[2Jb?c\td?\n");
}

static void long_lines_are_printed_in_pieces(void **state)
{
    (void)state;
    char text[LOG_MAX_BYTES];
    memset(text, 'x', sizeof(text));
    fake_capture_begin();
    assert_int_equal(send_text(text, sizeof(text)), ERROR_NONE);
    const char *output = fake_capture_end();
    char expected[LOG_LINE_SIZE + 16];
    memcpy(expected, "[app] ", 6);
    memset(expected + 6, 'x', LOG_LINE_SIZE);
    memcpy(expected + 6 + LOG_LINE_SIZE, "\n", 2);
    assert_string_equal(output, expected); /* the first LOG_LINE_SIZE bytes; the rest waits */
    assert_int_equal(line.length, LOG_MAX_BYTES - LOG_LINE_SIZE);
}

static void the_largest_message_is_accepted(void **state)
{
    (void)state;
    char text[LOG_MAX_BYTES];
    memset(text, 'y', sizeof(text));
    text[sizeof(text) - 1] = '\n';
    fake_capture_begin();
    assert_int_equal(send_text(text, sizeof(text)), ERROR_NONE);
    fake_capture_end();
}

static void malformed_messages_are_refused(void **state)
{
    (void)state;
    fake_capture_begin();
    message[0] = LOG_MAX_BYTES + 1; /* too many bytes, though the words would hold them */
    assert_int_equal(log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, 63, 0), message),
                     ERROR_INVALID_ARGUMENT);
    message[0] = 9; /* more bytes than the one word after the count holds */
    assert_int_equal(log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, 2, 0), message),
                     ERROR_INVALID_ARGUMENT);
    assert_int_equal(log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, 0, 0), message),
                     ERROR_INVALID_ARGUMENT); /* no count at all */
    message[0] = UINT64_MAX;
    assert_int_equal(log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, 64, 0), message),
                     ERROR_INVALID_ARGUMENT);
    message[0] = 1;
    assert_int_equal(log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, 100, 0), message),
                     ERROR_INVALID_ARGUMENT); /* more words than there are registers */
    assert_int_equal(log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, 2, 1), message),
                     ERROR_INVALID_ARGUMENT); /* items */
    assert_string_equal(fake_capture_end(), "");
    assert_int_equal(line.length, 0);
    message[0] = 0; /* nothing to print is fine */
    assert_int_equal(log_service_write("app", &line, MESSAGE_TAG(LABEL_LOG_WRITE, 1, 0), message), ERROR_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(lines_are_printed_with_the_app_name, setup),
        cmocka_unit_test_setup(partial_lines_wait_for_their_newline, setup),
        cmocka_unit_test_setup(empty_lines_are_printed, setup),
        cmocka_unit_test_setup(control_bytes_are_shown_as_question_marks, setup),
        cmocka_unit_test_setup(long_lines_are_printed_in_pieces, setup),
        cmocka_unit_test_setup(the_largest_message_is_accepted, setup),
        cmocka_unit_test_setup(malformed_messages_are_refused, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

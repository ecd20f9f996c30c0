/* Collecting List pages: order, page tokens passed on, ownership of the items, errors, a host that loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "page_collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fake ListVms: pages of page_size VMs named vms/vm-<n> out of total, tokens "p<n>". */
struct fake_host {
    unsigned total;
    unsigned page_size;
    unsigned calls;
    char tokens_seen[8][16];
    int fail_on_call; /* 0: never; else that call answers UNAVAILABLE */
    bool repeat_token;
};

/* Builds the page as the library would get it: packed, then unpacked into its own allocations. */
static ProtobufCMessage *make_page(unsigned first, unsigned count, const char *next_token)
{
    Kapsel__V1__Vm vms[8];
    Kapsel__V1__Vm *pointers[8];
    char names[8][16];
    for (unsigned i = 0; i < count; i++) {
        vms[i] = (Kapsel__V1__Vm)KAPSEL__V1__VM__INIT;
        snprintf(names[i], sizeof(names[i]), "vms/vm-%u", first + i);
        vms[i].name = names[i];
        pointers[i] = &vms[i];
    }
    Kapsel__V1__ListVmsResponse page = KAPSEL__V1__LIST_VMS_RESPONSE__INIT;
    page.n_vms = count;
    page.vms = pointers;
    page.next_page_token = (char *)next_token;
    uint8_t packed[1024];
    size_t length = kapsel__v1__list_vms_response__pack(&page, packed);
    return &kapsel__v1__list_vms_response__unpack(NULL, length, packed)->base;
}

static int fetch(void *context, const char *page_token, ProtobufCMessage **page, struct kapsel_status *status)
{
    struct fake_host *host = context;
    snprintf(host->tokens_seen[host->calls], sizeof(host->tokens_seen[0]), "%s", page_token);
    host->calls++;
    if ((int)host->calls == host->fail_on_call) {
        if (status) {
            status->code = KAPSEL_UNAVAILABLE;
            snprintf(status->message, sizeof(status->message), "gone");
        }
        return KAPSEL_UNAVAILABLE;
    }
    unsigned first = page_token[0] ? (unsigned)atoi(page_token + 1) : 0;
    unsigned count = host->total - first < host->page_size ? host->total - first : host->page_size;
    char next[16] = "";
    if (host->repeat_token && page_token[0]) {
        snprintf(next, sizeof(next), "%s", page_token);
    } else if (first + count < host->total) {
        snprintf(next, sizeof(next), "p%u", first + count);
    }
    *page = make_page(first, count, next);
    if (status) {
        status->code = KAPSEL_OK;
    }
    return KAPSEL_OK;
}

static void test_collects_every_page_in_order(void **state)
{
    (void)state;
    struct fake_host host = {.total = 7, .page_size = 3};
    struct page_items items;
    struct kapsel_status status;
    assert_int_equal(page_collect(fetch, &host, "vms", &items, &status), KAPSEL_OK);
    assert_int_equal(host.calls, 3);
    assert_string_equal(host.tokens_seen[0], "");
    assert_string_equal(host.tokens_seen[1], "p3");
    assert_string_equal(host.tokens_seen[2], "p6");
    assert_int_equal(items.count, 7);
    for (unsigned i = 0; i < 7; i++) {
        char expected[16];
        snprintf(expected, sizeof(expected), "vms/vm-%u", i);
        assert_string_equal(((Kapsel__V1__Vm *)items.items[i])->name, expected);
    }
    page_items_free(&items);
    assert_null(items.items);
    assert_int_equal(items.count, 0);
}

static void test_an_empty_list_is_one_call(void **state)
{
    (void)state;
    struct fake_host host = {.total = 0, .page_size = 3};
    struct page_items items;
    assert_int_equal(page_collect(fetch, &host, "vms", &items, NULL), KAPSEL_OK);
    assert_int_equal(host.calls, 1);
    assert_int_equal(items.count, 0);
    page_items_free(&items);
}

static void test_an_error_drops_what_was_collected(void **state)
{
    (void)state;
    struct fake_host host = {.total = 9, .page_size = 3, .fail_on_call = 2};
    struct page_items items;
    struct kapsel_status status;
    assert_int_equal(page_collect(fetch, &host, "vms", &items, &status), KAPSEL_UNAVAILABLE);
    assert_string_equal(status.message, "gone");
    assert_int_equal(items.count, 0);
    assert_null(items.items);
}

static void test_a_host_that_repeats_its_token_is_stopped(void **state)
{
    (void)state;
    struct fake_host host = {.total = 9, .page_size = 3, .repeat_token = true};
    struct page_items items;
    struct kapsel_status status;
    /* The first page's token is p3; the host then answers p3 with p3 again. */
    assert_int_equal(page_collect(fetch, &host, "vms", &items, &status), KAPSEL_INTERNAL);
    assert_int_equal(host.calls, 2);
    assert_non_null(strstr(status.message, "p3"));
    assert_int_equal(items.count, 0);
}

static void test_a_field_that_is_not_a_repeated_message_is_refused(void **state)
{
    (void)state;
    struct fake_host host = {.total = 2, .page_size = 3};
    struct page_items items;
    struct kapsel_status status;
    assert_int_equal(page_collect(fetch, &host, "next_page_token", &items, &status), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(page_collect(fetch, &host, "images", &items, &status), KAPSEL_INVALID_ARGUMENT);
    assert_int_equal(items.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collects_every_page_in_order),
        cmocka_unit_test(test_an_empty_list_is_one_call),
        cmocka_unit_test(test_an_error_drops_what_was_collected),
        cmocka_unit_test(test_a_host_that_repeats_its_token_is_stopped),
        cmocka_unit_test(test_a_field_that_is_not_a_repeated_message_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

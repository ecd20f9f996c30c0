/*
 * Two Micro-Apps of one image that share memory through the manifest's "shared" lines (see manifest.txt next to it).
 * "write": checks that the region net-ab starts zeroed, fills it with a pattern and calls the reader over its
 * "peer:shared_reader" gate. "read": waits for that call, checksums net-ab, leaves the checksum in the region ack and
 * replies; the writer then reads it back. Both print what they saw, for integration_tests/boot_tests.py. The IPC call
 * orders the accesses: no sleeps, no polling.
 */
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DATA_REGION "net-ab"
#define ANSWER_REGION "ack"
#define READER_GATE "peer:shared_reader"
#define LABEL_WRITTEN 0x5752ull /* writer to reader: net-ab is filled; [0] bytes written */
#define READER_WAIT_MS 60000u   /* a reader whose writer never calls gives up, so that the boot test still ends */

struct region {
    volatile uint8_t *bytes;
    uint64_t size;
};

/* The byte at offset i of the writer's pattern (different in every 256-byte block); boot_tests.py computes the same. */
static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 31 + 7 + (i >> 8));
}

/* FNV-1a, 32 bits: unlike a plain sum, it notices bytes or pages in the wrong place. */
static uint32_t checksum(const volatile uint8_t *bytes, uint64_t size)
{
    uint32_t hash = 0x811c9dc5u;
    for (uint64_t i = 0; i < size; i++) {
        hash = (hash ^ bytes[i]) * 0x01000193u;
    }
    return hash;
}

static bool find_region(const char *name, struct region *region)
{
    void *data;
    if (!environment_shared(name, &data, &region->size)) {
        printf("no shared region '%s'\n", name);
        return false;
    }
    region->bytes = data;
    return true;
}

static bool all_zero(const struct region *region)
{
    for (uint64_t i = 0; i < region->size; i++) {
        if (region->bytes[i] != 0) {
            return false;
        }
    }
    return true;
}

static int write_side(void)
{
    struct region data;
    struct region answer;
    uint64_t reader = capability_named(READER_GATE);
    if (!find_region(DATA_REGION, &data) || !find_region(ANSWER_REGION, &answer)) {
        return 3;
    }
    if (reader == 0) {
        printf("no capability '%s'\n", READER_GATE);
        return 3;
    }
    bool zero_before = all_zero(&data);
    for (uint64_t i = 0; i < data.size; i++) {
        data.bytes[i] = pattern(i);
    }
    uint32_t written = checksum(data.bytes, data.size);
    printf("%s: %llu bytes at 0x%llx, %s before, checksum 0x%08lx written\n", DATA_REGION,
           (unsigned long long)data.size, (unsigned long long)(uintptr_t)data.bytes, zero_before ? "zero" : "NOT zero",
           (unsigned long)written);
    utcb()->message[0] = data.size; /* set just before the call: printf's log calls reuse the message registers */
    struct invoke_result reply =
        ipc_call(reader, MESSAGE_TAG(LABEL_WRITTEN, 1, 0), TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
    if (reply.error != ERROR_NONE) {
        printf("calling the reader failed: error %d\n", (int)reply.error);
        return 4;
    }
    uint32_t answered = *(const volatile uint32_t *)answer.bytes;
    printf("%s: the reader answered 0x%08lx\n", ANSWER_REGION, (unsigned long)answered);
    return zero_before && answered == written ? 0 : 5;
}

static int read_side(void)
{
    struct region data;
    struct region answer;
    if (!find_region(DATA_REGION, &data) || !find_region(ANSWER_REGION, &answer)) {
        return 3;
    }
    struct invoke_result call = ipc_wait(TIMEOUTS(TIMEOUT_NEVER, READER_WAIT_MS));
    if (call.error != ERROR_NONE || MESSAGE_TAG_LABEL(call.tag) != LABEL_WRITTEN || MESSAGE_TAG_WORDS(call.tag) < 1) {
        printf("no call from the writer: error %d, tag 0x%llx\n", (int)call.error, (unsigned long long)call.tag);
        return 4;
    }
    uint64_t written = utcb()->message[0];
    uint32_t sum = checksum(data.bytes, data.size);
    *(volatile uint32_t *)answer.bytes = sum;                       /* the region starts page-aligned */
    struct invoke_result replied = ipc_reply(MESSAGE_TAG(0, 0, 0)); /* the writer reads the answer after this */
    printf("%s: %llu bytes at 0x%llx, %llu written, checksum 0x%08lx\n", DATA_REGION, (unsigned long long)data.size,
           (unsigned long long)(uintptr_t)data.bytes, (unsigned long long)written, (unsigned long)sum);
    if (replied.error != ERROR_NONE) {
        printf("replying to the writer failed: error %d\n", (int)replied.error);
        return 5;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "write") == 0) {
        return write_side();
    }
    if (argc == 2 && strcmp(argv[1], "read") == 0) {
        return read_side();
    }
    printf("usage: %s write|read\n", argv[0]);
    return 2;
}

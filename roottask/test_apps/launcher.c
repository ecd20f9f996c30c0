/*
 * The launch service's system test (roottask/launch_service.h): a Micro-App with "capability launcher" starts
 * misbehave.elf children and checks what it hears back: their log lines through its own gate, the end notice and the
 * reason, files it maps into them itself, stopping, and every refusal. Prints one verdict per check and
 * "launcher: N passed, N failed".
 */
#include <kapsel/environment.h>
#include <kapsel/launcher.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHILD_TASK_SLOT 100
#define CHILD_CONTROL_SLOT 101
#define WAIT_MS 5000 /* a bound on waiting for a child's message: a lost one fails the check instead of hanging */

static uint64_t launcher;
static unsigned passed, failed;
static char log_text[1024]; /* what the current child wrote to its log */
static size_t log_length;

static void check(bool ok, const char *what, const char *detail)
{
    printf("%s %s%s%s\n", ok ? "[  OK  ]" : "[ FAIL ]", what, detail && *detail ? ": " : "", detail ? detail : "");
    if (ok) {
        passed++;
    } else {
        failed++;
    }
}

static enum error create(const char *spec, const uint64_t sizes[LAUNCH_MAX_FILES], struct launch_created *created,
                         char *reason)
{
    log_length = 0; /* a new child's log */
    log_text[0] = '\0';
    struct launch_request request = {
        .spec = spec, .spec_length = strlen(spec), .task_slot = CHILD_TASK_SLOT, .control_slot = CHILD_CONTROL_SLOT};
    if (sizes) {
        memcpy(request.file_sizes, sizes, sizeof(request.file_sizes));
    }
    return launcher_create(launcher, &request, created, reason, LAUNCH_REASON_SIZE);
}

/*
 * Serves the child's log (answering each write, as the root task's log service does) until its end notice arrives
 * or, when until_text is not NULL, until its log has that text; false if nothing came for WAIT_MS.
 */
static bool serve_log(uint64_t handle, const char *until_text)
{
    for (;;) {
        if (until_text && strstr(log_text, until_text)) {
            return true;
        }
        struct invoke_result received = ipc_wait(TIMEOUTS(0, WAIT_MS));
        if (received.error != ERROR_NONE) {
            return false;
        }
        if (!until_text && received.label == (LAUNCH_LABEL_ENDED | handle)) {
            return true;
        }
        if (received.label == (LAUNCH_LABEL_LOG | handle) && MESSAGE_TAG_LABEL(received.tag) == LABEL_LOG_WRITE) {
            uint64_t bytes = utcb()->message[0];
            if (bytes <= LOG_MAX_BYTES && bytes <= sizeof(log_text) - 1 - log_length) {
                memcpy(log_text + log_length, &utcb()->message[1], bytes);
                log_length += bytes;
            }
            log_text[log_length] = '\0';
            ipc_reply(MESSAGE_TAG(ERROR_NONE, 0, 0));
        }
    }
}

static void expect_end(uint64_t handle, const char *what, const char *expected_reason)
{
    char reason[LAUNCH_REASON_SIZE];
    enum launch_state state = 0;
    uint64_t kernel_memory = 0;
    bool ended = serve_log(handle, NULL);
    enum error error = launcher_status(launcher, handle, &state, &kernel_memory, reason, sizeof(reason));
    check(ended && error == ERROR_NONE && state == LAUNCH_STATE_ENDED && strstr(reason, expected_reason) != NULL, what,
          reason);
    error = launcher_release(launcher, handle, reason, sizeof(reason));
    check(error == ERROR_NONE, "released", reason);
}

static void child_logs_to_its_launcher_and_exits(void)
{
    struct launch_created created;
    char reason[LAUNCH_REASON_SIZE] = "";
    enum error error = create("microapp child_exit\nimage misbehave.elf\nmemory 64K\ncapability log\n"
                              "arguments long-log\n",
                              NULL, &created, reason);
    check(error == ERROR_NONE, "a child with a log is created", reason);
    if (error != ERROR_NONE) {
        return;
    }
    enum launch_state state = 0;
    uint64_t kernel_memory = 0;
    error = launcher_status(launcher, created.handle, &state, &kernel_memory, reason, sizeof(reason));
    check(error == ERROR_NONE && state == LAUNCH_STATE_CREATED && kernel_memory > 0,
          "it waits to be run, its kernel memory counted", NULL);
    error = launcher_run(launcher, created.handle, reason, sizeof(reason));
    check(error == ERROR_NONE, "it runs", reason);
    expect_end(created.handle, "its end is noticed with why", "exited with status 0");
    check(log_length > 300 && strstr(log_text, "long") != NULL, "its log lines reached the launcher, not the console",
          NULL);
}

static void launcher_maps_the_files(void)
{
    /* Two pages of the launcher's own heap, with a known pattern: the child reads them as its file. */
    static const size_t size = 5000;
    uint8_t *allocated = malloc(3 * APP_PAGE_SIZE);
    uint8_t *content = (uint8_t *)(((uintptr_t)allocated + APP_PAGE_SIZE - 1) & ~(uintptr_t)(APP_PAGE_SIZE - 1));
    uint32_t sum = 0;
    for (size_t i = 0; i < 2 * APP_PAGE_SIZE; i++) {
        content[i] = i < size ? (uint8_t)(i * 7 + 1) : 0;
        sum += i < size ? content[i] : 0;
    }
    uint64_t sizes[LAUNCH_MAX_FILES] = {size};
    struct launch_created created;
    char reason[LAUNCH_REASON_SIZE] = "";
    enum error error = create("microapp child_file\nimage misbehave.elf\nmemory 64K\ncapability log\nfile data.bin\n"
                              "arguments read-file data.bin\n",
                              sizes, &created, reason);
    check(error == ERROR_NONE && created.file_addresses[0] == APP_FILES_ADDRESS, "a child with a file is created",
          reason);
    if (error != ERROR_NONE) {
        return;
    }
    for (uint64_t page = 0; page < 2 && error == ERROR_NONE; page++) {
        error = task_map(CHILD_TASK_SLOT, ITEM_MEMORY((uintptr_t)content / APP_PAGE_SIZE + page, 0, MEMORY_READ, 0),
                         created.file_addresses[0] + page * APP_PAGE_SIZE);
    }
    check(error == ERROR_NONE, "the launcher maps the file into it", NULL);
    launcher_run(launcher, created.handle, reason, sizeof(reason));
    expect_end(created.handle, "writing its file stops it", "): write, its files are read-only");
    char expected[96];
    snprintf(expected, sizeof(expected), "data.bin: %u bytes at 0x200000000000, checksum 0x%08x, rest of the page zero",
             (unsigned)size, (unsigned)sum);
    bool read = strstr(log_text, expected) != NULL;
    check(read, "it read the launcher's bytes", read ? NULL : log_text);
    free(allocated);
}

static void launcher_stops_a_child(void)
{
    struct launch_created created;
    char reason[LAUNCH_REASON_SIZE] = "";
    enum error error = create("microapp child_wait\nimage misbehave.elf\nmemory 64K\ncapability log\narguments wait\n",
                              NULL, &created, reason);
    check(error == ERROR_NONE, "a waiting child is created", reason);
    if (error != ERROR_NONE) {
        return;
    }
    launcher_run(launcher, created.handle, reason, sizeof(reason));
    error = launcher_release(launcher, created.handle, reason, sizeof(reason));
    check(error == ERROR_BUSY, "a running child cannot be released", reason);
    /* Its log goes to us: it waits for our answer until it has said it waits, so only then can it receive. */
    check(serve_log(created.handle, "waiting to be stopped"), "it says it waits", log_text);
    utcb()->message[0] = 42;
    struct invoke_result sent = ipc_send(CHILD_CONTROL_SLOT, MESSAGE_TAG(1, 1, 0), TIMEOUTS(WAIT_MS, 0));
    char sent_error[16];
    snprintf(sent_error, sizeof(sent_error), "error %d", (int)sent.error);
    check(sent.error == ERROR_NONE, "a message reaches it through its control gate", sent_error);
    check(serve_log(created.handle, "control message 42"), "it heard the control message", log_text);
    error = launcher_stop(launcher, created.handle, reason, sizeof(reason));
    check(error == ERROR_NONE, "it is stopped", reason);
    expect_end(created.handle, "its end says it was stopped", "stopped by its launcher");
    enum object_type type;
    unsigned rights;
    enum error control_gone = task_capability_info(APP_TASK, CHILD_CONTROL_SLOT, &type, &rights);
    enum object_type control_type = type;
    enum error task_gone = task_capability_info(APP_TASK, CHILD_TASK_SLOT, &type, &rights);
    check(control_gone == ERROR_NONE && control_type == OBJECT_NONE && task_gone == ERROR_NONE && type == OBJECT_NONE,
          "its task and control gate went with it: the slots are empty", NULL);
    error = launcher_status(launcher, created.handle, &(enum launch_state){0}, &(uint64_t){0}, reason, sizeof(reason));
    check(error == ERROR_INVALID_ARGUMENT, "a released handle names nothing", reason);
}

static void refused(const char *what, const char *spec, enum error expected, const char *expected_reason)
{
    struct launch_created created;
    char reason[LAUNCH_REASON_SIZE] = "";
    enum error error = create(spec, NULL, &created, reason);
    check(error == expected && strstr(reason, expected_reason) != NULL, what, reason);
}

static void refusals(void)
{
    refused("a capability the launcher lacks",
            "microapp c\nimage misbehave.elf\ncapability log\ncapability icu\narguments exit\n", ERROR_MISSING_RIGHTS,
            "capability 'icu': its launcher does not hold it");
    refused("a peer the launcher lacks", "microapp c\nimage misbehave.elf\ncapability peer:hello\n",
            ERROR_MISSING_RIGHTS, "capability 'peer:hello': its launcher does not hold it");
    refused("more memory than it may give", "microapp c\nimage misbehave.elf\nmemory 8M\n", ERROR_MISSING_RIGHTS,
            "memory 8192 KiB is more than its launcher may still give (4096 of 4096 KiB)");
    refused("a priority above its own", "microapp c\nimage misbehave.elf\npriority 200\n", ERROR_MISSING_RIGHTS,
            "priority 200 is above its launcher's 10");
    refused("a launcher cannot be delegated", "microapp c\nimage misbehave.elf\ncapability launcher memory=1M\n",
            ERROR_MISSING_RIGHTS, "a launched app cannot launch apps");
    refused("a name that is taken", "microapp hello\nimage misbehave.elf\n", ERROR_SLOT_OCCUPIED,
            "a microapp named 'hello' exists");
    refused("a malformed spec", "microapp c\nimage misbehave.elf\nprioirty 3\n", ERROR_MALFORMED,
            "manifest line 3: unknown key 'prioirty'");
    refused("an image that is not there", "microapp c\nimage nothing.elf\n", ERROR_NOT_FOUND,
            "not started: finding its image failed");
    refused("more quota than the launcher has", "microapp c\nimage misbehave.elf\nquota 64M\n", ERROR_QUOTA_EXCEEDED,
            "not started: creating its factory failed");
    struct launch_host_memory memory;
    enum error error = launcher_host_memory(launcher, &memory);
    check(error == ERROR_NONE && memory.total_bytes > memory.free_bytes && memory.free_bytes > 0 &&
              memory.launcher_limit_bytes == 4u << 20 && memory.launcher_used_bytes == 0,
          "the host's memory and the launcher's share are reported", NULL);
    char reason[LAUNCH_REASON_SIZE] = "";
    error = launcher_run(launcher, 3, reason, sizeof(reason));
    check(error == ERROR_INVALID_ARGUMENT && strstr(reason, "names no app of this launcher"),
          "a boot app's index is no handle", reason);
}

int main(void)
{
    launcher = capability_named("launcher");
    if (!launcher) {
        printf("no launcher capability\n");
        return 1;
    }
    child_logs_to_its_launcher_and_exits();
    launcher_maps_the_files();
    launcher_stops_a_child();
    refusals();
    printf("launcher: %u passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

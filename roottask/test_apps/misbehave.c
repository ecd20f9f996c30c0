/*
 * A Micro-App that does what its first argument says, to exercise the root
 * task's pager, exception handling, exit and log service (see manifest.txt
 * next to it). Each case ends the app in a way the root task must report.
 */
#include <kapsel/environment.h>
#include <kapsel/launcher.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct app_environment *environment(void)
{
    return (const struct app_environment *)(uintptr_t)APP_ENVIRONMENT_ADDRESS;
}

/* Recursion the compiler cannot turn into a loop: each frame keeps 4 KiB alive. */
static int deep(int depth)
{
    volatile char frame[4096];
    frame[0] = (char)depth;
    return depth == 0 ? frame[0] : deep(depth - 1) + frame[0];
}

/*
 * "read-file <name>": the manifest's file <name> (environment_file), its size, where it is, the sum of its bytes mod
 * 2^32 and whether the rest of its last page is zero; then a write to it, which the root task must stop (read-only).
 */
static int read_file(const char *name)
{
    const void *data;
    uint64_t size;
    if (!environment_file(name, &data, &size)) {
        printf("no file '%s'\n", name);
        return 3;
    }
    const volatile uint8_t *bytes = data;
    uint32_t sum = 0;
    for (uint64_t i = 0; i < size; i++) {
        sum += bytes[i];
    }
    bool tail_zero = true;
    for (uint64_t i = size; i % APP_PAGE_SIZE != 0; i++) {
        tail_zero = tail_zero && bytes[i] == 0;
    }
    printf("%s: %llu bytes at 0x%llx, checksum 0x%08lx, rest of the page %s\n", name, (unsigned long long)size,
           (unsigned long long)(uintptr_t)data, (unsigned long)sum, tail_zero ? "zero" : "NOT zero");
    *(volatile uint8_t *)(uintptr_t)data = 0; /* read-only: the root task must stop the app here */
    printf("the file was writable\n");
    return 4;
}

static int run(const char *what, const char *argument)
{
    if (strcmp(what, "exit") == 0) {
        return 7;
    }
    if (strcmp(what, "wait") == 0) { /* until someone stops it, telling what its launcher sends: the launcher's test */
        printf("waiting to be stopped\n");
        for (;;) {
            struct invoke_result received = ipc_wait(TIMEOUTS(TIMEOUT_NEVER, TIMEOUT_NEVER));
            if (received.error == ERROR_NONE && received.label == LAUNCH_LABEL_CONTROL) {
                printf("control message %llu\n", (unsigned long long)utcb()->message[0]);
            }
        }
    }
    if (strcmp(what, "null-read") == 0) {
        /* cppcheck-suppress nullPointer ; on purpose: the root task must stop the app */
        return *(volatile int *)0;
    }
    if (strcmp(what, "write-environment") == 0) {
        *(volatile uint64_t *)(uintptr_t)APP_ENVIRONMENT_ADDRESS = 0;
        return 0;
    }
    if (strcmp(what, "heap-beyond") == 0) {
        volatile char *end = (volatile char *)(uintptr_t)(environment()->heap_base + environment()->heap_size);
        return end[0];
    }
    if (strcmp(what, "stack-overflow") == 0) {
        return deep(1 << 20);
    }
    if (strcmp(what, "execute-stack") == 0) {
        uint8_t code[16];
        code[0] = 0xc3;                                /* ret */
        __asm__ volatile("" : : "r"(code) : "memory"); /* keeps the array on the stack, written */
        ((void (*)(void))(uintptr_t)code)();
        return 0;
    }
    if (strcmp(what, "kernel-read") == 0) {
        return *(volatile int *)(uintptr_t)0xffffffff80200000ull; /* the kernel's image */
    }
    if (strcmp(what, "privileged-instruction") == 0) {
        __asm__ volatile("cli; hlt");
        return 0;
    }
    if (strcmp(what, "invalid-opcode") == 0) {
        __builtin_trap();
    }
    if (strcmp(what, "read-file") == 0) {
        return read_file(argument);
    }
    if (strcmp(what, "long-log") == 0) {
        char line[700];
        memset(line, 'L', sizeof(line) - 1);
        line[sizeof(line) - 1] = '\0';
        printf("%s\n", line);
        printf("control bytes: [\a\033]\n");
        printf("an unfinished line at exit");
        fflush(stdout);
        return 0;
    }
    printf("unknown case '%s'\n", what);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: %s <case>\n", argv[0]);
        return 2;
    }
    printf("%s: %s\n", argv[0], argv[1]);
    return run(argv[1], argc > 2 ? argv[2] : "");
}

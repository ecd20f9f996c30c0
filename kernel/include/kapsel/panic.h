/* Ends the kernel when continuing would be unsafe. Never reached from user input. */
#ifndef KAPSEL_PANIC_H
#define KAPSEL_PANIC_H

/* A kernel bug or an unrecoverable CPU exception in the kernel: prints "KERNEL PANIC: ..." and halts. */
_Noreturn void panic(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The boot loader handed us something we cannot run with: prints "BOOT ERROR: ..." and halts. */
_Noreturn void boot_fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif

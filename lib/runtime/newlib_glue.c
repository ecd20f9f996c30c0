/*
 * The system calls newlib 3.3.0 (built with --disable-newlib-supplied-syscalls)
 * expects from its host, in their plain names. A Micro-App has no files: fds
 * 0, 1 and 2 are the only descriptors, stdin reads as end-of-file, and stdout
 * and stderr go where the start path sends output (kapsel/runtime.h).
 */
#include "runtime_private.h"

#include <errno.h>
#include <kapsel/syscall.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

struct heap runtime_heap;
uint64_t runtime_scheduler;

/* newlib's __libc_init_array and __libc_fini_array also call these, for the .init and .fini sections of
 * old toolchains; microapp.ld collects no such sections (constructors come from .init_array). */
void _init(void);
void _fini(void);

void _init(void)
{
}

void _fini(void)
{
}

static bool standard_stream(int fd)
{
    return fd == STDIN_FILENO || fd == STDOUT_FILENO || fd == STDERR_FILENO;
}

void *sbrk(ptrdiff_t increment)
{
    void *previous_break;
    enum error error = heap_move_break(&runtime_heap, increment, &previous_break);
    if (error != ERROR_NONE) {
        errno = error == ERROR_OUT_OF_RANGE ? EINVAL : ENOMEM;
        return (void *)-1;
    }
    return previous_break;
}

/* newlib's read() and write() return _READ_WRITE_RETURN_TYPE: int for this target, not POSIX's ssize_t. */
_READ_WRITE_RETURN_TYPE write(int fd, const void *bytes, size_t length)
{
    if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
        errno = EBADF;
        return -1;
    }
    if (length > INT_MAX) {
        length = INT_MAX; /* a short write, as POSIX allows, so that the count fits the result */
    }
    size_t written = runtime_write_output(bytes, length);
    if (written == 0 && length > 0) {
        errno = EIO;
        return -1;
    }
    return (_READ_WRITE_RETURN_TYPE)written;
}

_READ_WRITE_RETURN_TYPE read(int fd, void *bytes, size_t length)
{
    (void)bytes;
    (void)length;
    if (fd != STDIN_FILENO) {
        errno = EBADF;
        return -1;
    }
    return 0;
}

int close(int fd)
{
    errno = standard_stream(fd) ? ENOTSUP : EBADF; /* the standard streams stay open */
    return -1;
}

off_t lseek(int fd, off_t offset, int whence)
{
    (void)offset;
    (void)whence;
    errno = standard_stream(fd) ? ESPIPE : EBADF;
    return -1;
}

int fstat(int fd, struct stat *status)
{
    if (!standard_stream(fd)) {
        errno = EBADF;
        return -1;
    }
    memset(status, 0, sizeof(*status));
    status->st_mode = S_IFCHR; /* a character device: newlib then line-buffers stdout if isatty() agrees */
    return 0;
}

int isatty(int fd)
{
    if (!standard_stream(fd)) {
        errno = EBADF;
        return 0;
    }
    return 1;
}

pid_t getpid(void)
{
    return 1; /* one process per task: there are no others to tell apart */
}

int kill(pid_t pid, int signal_number)
{
    (void)pid;
    (void)signal_number;
    errno = ENOSYS; /* no signals; abort() goes on to _exit(1) when raise() fails */
    return -1;
}

/*
 * Wall-clock time (UTC): the boot time the kernel read from the real-time
 * clock plus the ticks since. If the kernel knows no date (no clock, or it
 * made no sense), the time since boot instead, that is 1970-01-01 plus the
 * uptime. time() comes through here too.
 */
int gettimeofday(struct timeval *restrict now, void *restrict zone)
{
    (void)zone; /* obsolete in POSIX; there are no time zones here */
    if (runtime_scheduler == 0) {
        errno = ENOSYS;
        return -1;
    }
    uint64_t ticks;
    uint64_t idle_ticks;
    uint64_t ticks_per_second;
    uint64_t boot_seconds; /* 0: unknown, which leaves the time since boot */
    if (scheduler_info(runtime_scheduler, &ticks, &idle_ticks, &ticks_per_second) != ERROR_NONE ||
        ticks_per_second == 0 || scheduler_wall_clock(runtime_scheduler, &boot_seconds) != ERROR_NONE) {
        errno = EIO;
        return -1;
    }
    if (now) {
        now->tv_sec = (time_t)(boot_seconds + ticks / ticks_per_second);
        now->tv_usec = (suseconds_t)(ticks % ticks_per_second * 1000000 / ticks_per_second);
    }
    return 0;
}

void _exit(int status)
{
    runtime_exit(status);
}

// vsock_echo_client: the Linux test guest's virtio-vsock check (static, run by integration_tests/linux/init).
//
//   vsock_echo_client <port> <message>
//
// Connects an AF_VSOCK stream socket to the host (CID 2) at <port>, whose echo service sends back every
// byte, sends <message>, reads until as many bytes came back (giving up after 10 s without data), and
// compares. Prints "KAPSEL-VSOCK: echoed <n> bytes" and exits 0 when the echo matches; otherwise prints
// one "KAPSEL-FAIL: vsock: <what>" line and exits 1.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

enum { TIMEOUT_SECONDS = 10 };

static int fail(const char *what, unsigned port, int error)
{
    if (error) {
        printf("KAPSEL-FAIL: vsock: %s (CID %u, port %u): %s\n", what, VMADDR_CID_HOST, port, strerror(error));
    } else {
        printf("KAPSEL-FAIL: vsock: %s (CID %u, port %u)\n", what, VMADDR_CID_HOST, port);
    }
    fflush(stdout);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] == '\0') {
        printf("KAPSEL-FAIL: vsock: usage: %s <port> <non-empty message>\n", argc > 0 ? argv[0] : "vsock_echo_client");
        return 1;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(argv[1], &end, 10);
    if (errno || end == argv[1] || *end != '\0' || port > 0xffffffffUL) {
        printf("KAPSEL-FAIL: vsock: bad port '%s'\n", argv[1]);
        return 1;
    }
    const char *message = argv[2];
    size_t length = strlen(message);

    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (fd < 0) {
        return fail("socket(AF_VSOCK, SOCK_STREAM)", (unsigned)port, errno);
    }
    struct timeval timeout = {.tv_sec = TIMEOUT_SECONDS, .tv_usec = 0};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) != 0 ||
        setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &timeout, sizeof timeout) != 0) {
        return fail("setting the timeouts", (unsigned)port, errno);
    }
    struct sockaddr_vm address = {
        .svm_family = AF_VSOCK,
        .svm_cid = VMADDR_CID_HOST,
        .svm_port = (unsigned)port,
    };
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        return fail("connect", (unsigned)port, errno);
    }

    for (size_t sent = 0; sent < length;) {
        ssize_t n = send(fd, message + sent, length - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return fail("send timed out", (unsigned)port, 0);
        }
        if (n <= 0) {
            return fail("send", (unsigned)port, n < 0 ? errno : 0);
        }
        sent += (size_t)n;
    }

    char *reply = malloc(length);
    if (!reply) {
        return fail("out of memory", (unsigned)port, 0);
    }
    size_t received = 0;
    while (received < length) {
        ssize_t n = recv(fd, reply + received, length - received, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        char what[128];
        if (n == 0) {
            snprintf(what, sizeof what, "connection closed after %zu of %zu bytes", received, length);
            return fail(what, (unsigned)port, 0);
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            snprintf(what, sizeof what, "no data for %d s after %zu of %zu bytes", TIMEOUT_SECONDS, received, length);
            return fail(what, (unsigned)port, 0);
        }
        if (n < 0) {
            snprintf(what, sizeof what, "recv after %zu of %zu bytes", received, length);
            return fail(what, (unsigned)port, errno);
        }
        received += (size_t)n;
    }
    for (size_t i = 0; i < length; i++) {
        if (reply[i] != message[i]) {
            char what[128];
            snprintf(what, sizeof what, "echo differs at byte %zu of %zu: sent 0x%02x, got 0x%02x", i, length,
                     (unsigned char)message[i], (unsigned char)reply[i]);
            return fail(what, (unsigned)port, 0);
        }
    }
    close(fd);
    free(reply);
    printf("KAPSEL-VSOCK: echoed %zu bytes\n", length);
    fflush(stdout);
    return 0;
}

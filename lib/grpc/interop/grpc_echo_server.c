/*
 * The echo server of //lib/grpc:grpc_interop_test: lib/grpc behind a POSIX TCP listener on 127.0.0.1, one poll()
 * loop, output pulled into a small per-connection buffer as a TCP stack with a bounded send buffer would (lwIP's
 * tcp_sndbuf in the agent). Usage: grpc_echo_server <port> (0: any free port); prints "port <n>" on stdout once it
 * listens, runs until SIGTERM, then ends every connection and exits 0 (under LeakSanitizer: with nothing leaked).
 *
 * Methods ("/kapsel.test.Echo/..."):
 *   Unary          the request back.
 *   ServerStream   request: a 32-bit big-endian count N, then a payload; answers N messages of the payload, one per
 *                  round of the loop while the send queue has room (N = 0xffffffff: until the client cancels).
 *   ClientStream   answers the total bytes of the request messages, in decimal.
 *   Fail           request: a status code in decimal; answers it with FAIL_MESSAGE (non-ASCII and '%').
 *   Never          never answers (for deadlines); remembers how far away the call's deadline was.
 *   Stats          answers "accepted=<n> cancels=<n> streams=<n> budget_ms=<n>": connections accepted, calls
 *                  cancelled, server streams running, the last Never call's deadline minus its start (-1: none).
 */
/* ppoll(), so that SIGTERM cannot slip in between the loop's check and its wait. */
#define _GNU_SOURCE

#include <kapsel/grpc_server.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define RECEIVE_BUFFER_SIZE (64 * 1024)
#define SEND_BUFFER_SIZE (16 * 1024) /* what the transport takes per pull */
#define MAX_REQUEST_SIZE (4u * 1024 * 1024)
#define ECHO_QUEUE_LIMIT (MAX_REQUEST_SIZE + GRPC_MESSAGE_PREFIX_SIZE) /* one echoed request always fits */
#define STREAM_QUEUE_LIMIT (256u * 1024)
/* "VM über-käfer is 100% broken" in UTF-8; split where a hex escape would run on into the next letters. */
#define FAIL_MESSAGE                                                                                                   \
    "VM \xc3\xbc"                                                                                                      \
    "ber-k\xc3\xa4"                                                                                                    \
    "fer is 100% broken"
#define FOREVER 0xffffffffu

struct client_connection {
    int fd;
    struct grpc_connection *grpc;
    uint8_t output[SEND_BUFFER_SIZE];
    size_t output_start;
    size_t output_end;
};

/* A running ServerStream call: what it still has to send. */
struct stream_job {
    struct stream_job *next;
    struct grpc_call *call;
    uint32_t remaining;
    size_t payload_length;
    uint8_t payload[];
};

static struct client_connection *connections[MAX_CONNECTIONS];
static struct stream_job *jobs;
static unsigned long accepted;
static unsigned long cancels;
static unsigned long running_streams;
static long long never_budget_ms = -1;
static volatile sig_atomic_t stopping;

static uint64_t monotonic_ms(void *context)
{
    (void)context;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static void finish(struct grpc_call *call, enum grpc_status_code code, const char *message)
{
    enum grpc_result result = grpc_call_finish(call, code, message);
    if (result != GRPC_RESULT_OK) {
        fprintf(stderr, "echo server: finish: %s\n", grpc_result_name(result));
    }
}

static void reply(struct grpc_call *call, const uint8_t *message, size_t length)
{
    enum grpc_result result = grpc_call_send_message(call, message, length);
    if (result != GRPC_RESULT_OK) {
        fprintf(stderr, "echo server: send: %s\n", grpc_result_name(result));
        finish(call, GRPC_STATUS_INTERNAL, grpc_result_name(result));
        return;
    }
    finish(call, GRPC_STATUS_OK, NULL);
}

static void reply_text(struct grpc_call *call, const char *text)
{
    reply(call, (const uint8_t *)text, strlen(text));
}

static void echo_unary(struct grpc_call *call, const uint8_t *message, size_t length)
{
    reply(call, message, length);
}

static void remove_job(struct stream_job *job)
{
    for (struct stream_job **link = &jobs; *link != NULL; link = &(*link)->next) {
        if (*link == job) {
            *link = job->next;
            break;
        }
    }
    running_streams--;
    free(job);
}

/*
 * Sends one message per round of the loop, from outside any callback, as the agent's console stream forwards output
 * as it arrives: the queue runs empty in between, so that nghttp2 defers the stream and the next message resumes it.
 * A full queue (a client that does not read) waits for a later round. Finishes the call when its count is done.
 */
static void run_job(struct stream_job *job)
{
    if (job->remaining > 0 && grpc_call_send_queue_free(job->call) >= job->payload_length &&
        grpc_call_send_message(job->call, job->payload, job->payload_length) == GRPC_RESULT_OK &&
        job->remaining != FOREVER) {
        job->remaining--;
    }
    if (job->remaining == 0) {
        finish(job->call, GRPC_STATUS_OK, NULL);
        remove_job(job);
    }
}

static void start_stream(struct grpc_call *call, const uint8_t *message, size_t length)
{
    if (length < 4) {
        finish(call, GRPC_STATUS_INVALID_ARGUMENT, "the request starts with a 32-bit count");
        return;
    }
    size_t payload_length = length - 4;
    if (payload_length > STREAM_QUEUE_LIMIT / 2) {
        finish(call, GRPC_STATUS_INVALID_ARGUMENT, "payload too large for the stream's queue");
        return;
    }
    struct stream_job *job = malloc(sizeof(*job) + payload_length);
    if (job == NULL) {
        finish(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    job->call = call;
    job->remaining = (uint32_t)message[0] << 24 | (uint32_t)message[1] << 16 | (uint32_t)message[2] << 8 | message[3];
    job->payload_length = payload_length;
    memcpy(job->payload, message + 4, payload_length);
    job->next = jobs;
    jobs = job;
    running_streams++;
    grpc_call_set_user_data(call, job);
    run_job(job);
}

static void count_message(struct grpc_call *call, const uint8_t *message, size_t length)
{
    (void)message;
    size_t total = (size_t)(uintptr_t)grpc_call_user_data(call) + length;
    grpc_call_set_user_data(call, (void *)(uintptr_t)total);
}

static void answer_count(struct grpc_call *call)
{
    char text[32];
    snprintf(text, sizeof(text), "%zu", (size_t)(uintptr_t)grpc_call_user_data(call));
    reply_text(call, text);
}

static void fail_as_asked(struct grpc_call *call, const uint8_t *message, size_t length)
{
    char text[16] = {0};
    memcpy(text, message, length < sizeof(text) - 1 ? length : sizeof(text) - 1);
    finish(call, (enum grpc_status_code)atoi(text), FAIL_MESSAGE);
}

static void never_answer(struct grpc_call *call, const uint8_t *message, size_t length)
{
    (void)message;
    (void)length;
    uint64_t deadline = grpc_call_deadline_ms(call);
    never_budget_ms = deadline == GRPC_NO_DEADLINE ? -1 : (long long)(deadline - monotonic_ms(NULL));
}

static void report_stats(struct grpc_call *call, const uint8_t *message, size_t length)
{
    (void)message;
    (void)length;
    char text[128];
    snprintf(text, sizeof(text), "accepted=%lu cancels=%lu streams=%lu budget_ms=%lld", accepted, cancels,
             running_streams, never_budget_ms);
    reply_text(call, text);
}

static void count_cancel(struct grpc_call *call)
{
    cancels++;
    struct stream_job *job = grpc_call_user_data(call);
    if (job != NULL && grpc_call_method(call)->on_request == start_stream) {
        remove_job(job);
    }
}

static const struct grpc_method methods[] = {
    {.path = "/kapsel.test.Echo/Unary",
     .kind = GRPC_METHOD_UNARY,
     .max_request_size = MAX_REQUEST_SIZE,
     .send_queue_limit = ECHO_QUEUE_LIMIT,
     .on_request = echo_unary,
     .on_cancel = count_cancel},
    {.path = "/kapsel.test.Echo/ServerStream",
     .kind = GRPC_METHOD_SERVER_STREAMING,
     .send_queue_limit = STREAM_QUEUE_LIMIT,
     .on_request = start_stream,
     .on_cancel = count_cancel},
    {.path = "/kapsel.test.Echo/ClientStream",
     .kind = GRPC_METHOD_CLIENT_STREAMING,
     .on_message = count_message,
     .on_half_close = answer_count,
     .on_cancel = count_cancel},
    {.path = "/kapsel.test.Echo/Fail",
     .kind = GRPC_METHOD_UNARY,
     .on_request = fail_as_asked,
     .on_cancel = count_cancel},
    {.path = "/kapsel.test.Echo/Never",
     .kind = GRPC_METHOD_UNARY,
     .on_request = never_answer,
     .on_cancel = count_cancel},
    {.path = "/kapsel.test.Echo/Stats",
     .kind = GRPC_METHOD_UNARY,
     .on_request = report_stats,
     .on_cancel = count_cancel},
};

static void close_connection(size_t index)
{
    struct client_connection *connection = connections[index];
    grpc_connection_destroy(connection->grpc); /* on_cancel for the calls it still had */
    close(connection->fd);
    free(connection);
    connections[index] = NULL;
}

/* Hands output to the socket until it or lib/grpc has no more; false if the socket failed. */
static bool flush(struct client_connection *connection)
{
    for (;;) {
        if (connection->output_start == connection->output_end) {
            connection->output_start = 0;
            connection->output_end = grpc_connection_output(connection->grpc, connection->output, SEND_BUFFER_SIZE);
            if (connection->output_end == 0) {
                return true;
            }
        }
        ssize_t sent = send(connection->fd, connection->output + connection->output_start,
                            connection->output_end - connection->output_start, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        connection->output_start += (size_t)sent;
    }
}

static void accept_connection(int listener, struct grpc_server *server)
{
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
        return;
    }
    size_t index = 0;
    while (index < MAX_CONNECTIONS && connections[index] != NULL) {
        index++;
    }
    struct client_connection *connection = index < MAX_CONNECTIONS ? calloc(1, sizeof(*connection)) : NULL;
    if (connection == NULL) {
        close(fd);
        return;
    }
    connection->fd = fd;
    connection->grpc = grpc_connection_create(server, connection);
    if (connection->grpc == NULL) {
        close(fd);
        free(connection);
        return;
    }
    connections[index] = connection;
    accepted++;
}

/* Reads what arrived; false if the connection is over (closed by the peer, broken HTTP/2, socket error). */
static bool receive(struct client_connection *connection)
{
    static uint8_t buffer[RECEIVE_BUFFER_SIZE];
    ssize_t received = recv(connection->fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (received < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    if (received == 0) {
        return false;
    }
    enum grpc_result result = grpc_connection_receive(connection->grpc, buffer, (size_t)received);
    if (result != GRPC_RESULT_OK) {
        fprintf(stderr, "echo server: receive: %s\n", grpc_result_name(result));
        return false;
    }
    return true;
}

/* Whether a stream could send more right now (then the loop must not block). */
static bool streams_can_send(void)
{
    for (struct stream_job *job = jobs; job != NULL; job = job->next) {
        if (grpc_call_send_queue_free(job->call) >= job->payload_length) {
            return true;
        }
    }
    return false;
}

/* How long the loop may wait: not at all if a stream can send, else until the next deadline (NULL: forever). */
static const struct timespec *poll_timeout(struct timespec *timeout)
{
    uint64_t wait_ms = 0;
    if (!streams_can_send()) {
        uint64_t earliest = GRPC_NO_DEADLINE;
        for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
            if (connections[i] != NULL) {
                uint64_t deadline = grpc_connection_next_deadline_ms(connections[i]->grpc);
                earliest = deadline < earliest ? deadline : earliest;
            }
        }
        if (earliest == GRPC_NO_DEADLINE) {
            return NULL;
        }
        uint64_t now = monotonic_ms(NULL);
        wait_ms = earliest <= now ? 0 : earliest - now;
    }
    timeout->tv_sec = (time_t)(wait_ms / 1000);
    timeout->tv_nsec = (long)(wait_ms % 1000) * 1000000;
    return timeout;
}

static void stop(int signal_number)
{
    (void)signal_number;
    stopping = 1;
}

static int listen_on(const char *port_text)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) {
        perror("echo server: socket");
        return -1;
    }
    int reuse = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port_text))};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 64) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("echo server: bind/listen");
        close(listener);
        return -1;
    }
    printf("port %u\n", (unsigned)ntohs(address.sin_port));
    fflush(stdout);
    return listener;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    /* SIGTERM and SIGINT are blocked except inside ppoll(), which they then end. */
    struct sigaction action = {.sa_handler = stop};
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigset_t stop_signals;
    sigset_t while_polling;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, &while_polling);
    sigdelset(&while_polling, SIGTERM);
    sigdelset(&while_polling, SIGINT);
    struct grpc_server_config config = {
        .methods = methods,
        .method_count = sizeof(methods) / sizeof(methods[0]),
        .clock_ms = monotonic_ms,
    };
    struct grpc_server *server = grpc_server_create(&config);
    int listener = server != NULL ? listen_on(argv[1]) : -1;
    if (listener < 0) {
        grpc_server_destroy(server);
        return 1;
    }
    while (!stopping) {
        struct pollfd fds[MAX_CONNECTIONS + 1];
        size_t owners[MAX_CONNECTIONS + 1];
        nfds_t count = 0;
        fds[count++] = (struct pollfd){.fd = listener, .events = POLLIN};
        for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
            struct client_connection *connection = connections[i];
            if (connection == NULL) {
                continue;
            }
            bool writing =
                connection->output_start < connection->output_end || grpc_connection_wants_output(connection->grpc);
            owners[count] = i;
            fds[count++] = (struct pollfd){.fd = connection->fd, .events = POLLIN | (writing ? POLLOUT : 0)};
        }
        struct timespec timeout;
        int ready = ppoll(fds, count, poll_timeout(&timeout), &while_polling);
        if (ready < 0 && errno != EINTR) {
            perror("echo server: poll");
            break;
        }
        if (ready < 0) {
            continue; /* a stop signal: the loop's condition ends it */
        }
        if (fds[0].revents & POLLIN) {
            accept_connection(listener, server);
        }
        for (nfds_t i = 1; i < count; i++) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !receive(connections[owners[i]])) {
                close_connection(owners[i]);
            }
        }
        uint64_t now = monotonic_ms(NULL);
        for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
            if (connections[i] != NULL) {
                grpc_connection_tick(connections[i]->grpc, now);
            }
        }
        for (struct stream_job *job = jobs, *next; job != NULL; job = next) {
            next = job->next;
            run_job(job);
        }
        for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
            if (connections[i] != NULL &&
                (!flush(connections[i]) || grpc_connection_is_finished(connections[i]->grpc))) {
                close_connection(i);
            }
        }
    }
    for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
        if (connections[i] != NULL) {
            close_connection(i);
        }
    }
    close(listener);
    grpc_server_destroy(server);
    fprintf(stderr, "echo server: stopped (%lu calls cancelled)\n", cancels);
    return jobs == NULL ? 0 : 1;
}

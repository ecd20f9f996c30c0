/*
 * The agent's API services (agent_api.h) on the host: lib/grpc behind a POSIX TCP listener on 127.0.0.1, one poll()
 * loop as in lib/grpc/interop/grpc_echo_server.c, the real model and services, and a fake backend in place of the
 * uvmm launcher, so that the API test suite (integration_tests/api/api_tests.py) runs against it without QEMU.
 *
 *   api_host_server [--port N] [--host-name NAME] [--tick-ms N] [--shutdown-ms N] [--max-image-mib N]
 *                   [--image-store-mib N] [--vm-memory-mib N] [--api-tokens FILE]
 *
 * Prints "port <n>" on stdout once it listens (--port 0, the default: any free port); runs until SIGTERM or SIGINT,
 * then ends every connection and VM and exits 0, or 1 if anything of the API was left behind (under
 * LeakSanitizer, memory included).
 *
 * The fake guests run in the loop: a started VM writes a boot line to its console, then a tick line every
 * --tick-ms. StopVm asks it to power off, which it does --shutdown-ms later (or at the grace period's end, if that
 * comes first): STOPPED "guest powered off"; with force it ends at once: STOPPED "stopped through the API". What a
 * guest does can be chosen through its kernel image's display name and its command line:
 *   display name contains "crash"        after its third line: FAILED "uvmm stopped: page fault at ..."
 *   display name contains "fail-start"   StartVm fails: FAILED "uvmm: ... not a bzImage"
 *   fake.poweroff_after=<n>              powers off by itself after its n-th line: STOPPED "guest powered off"
 *   fake.ignore_poweroff                 ignores the power-off request: stopped at the grace period's end
 * At its end a VM reports each disk's final SHA-256: its image's (the fake guest writes nothing).
 *
 * --api-tokens: calls must carry one of the file's tokens (api_tokens.h), as the agent's --api-tokens does.
 */
/* ppoll(), so that SIGTERM cannot slip in between the loop's check and its wait. */
#define _GNU_SOURCE

#include "agent_api.h"
#include "api_tokens.h"
#include "image_store.h"
#include "vm_registry.h"

#include <kapsel/grpc_server.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ull * 1024ull)
#define MAX_CONNECTIONS 64
#define RECEIVE_BUFFER_SIZE (64 * 1024)
#define SEND_BUFFER_SIZE (16 * 1024) /* what the transport takes per pull, as lwIP's tcp_sndbuf would */
#define CRASH_AFTER_LINES 3
#define LINE_BYTES 512 /* the boot line holds the whole command line (255 bytes) */
#define HOST_VERSION "0.1.0-api-host"

struct options {
    unsigned port;
    const char *host_name;
    uint64_t tick_ms;
    uint64_t shutdown_ms;
    uint64_t max_image_bytes;
    uint64_t image_store_bytes;
    uint64_t vm_memory_bytes;
    const char *api_tokens_path; /* NULL: an open API */
};

/* A running fake guest: the backend_state of its VM. */
struct fake_vm {
    struct vm_record *vm;
    unsigned lines;
    uint64_t next_line_ms;
    bool crashes;
    unsigned poweroff_after; /* 0: never by itself */
    bool ignores_poweroff;
    bool stopping;
    uint64_t power_off_ms; /* while stopping: when the guest is done */
    uint64_t force_ms;     /* while stopping: the grace period's end */
    uint32_t grace_period_ms;
};

struct fake_backend {
    struct vm_registry *registry;
    struct image_store *images;
    uint64_t tick_ms;
    uint64_t shutdown_ms;
    struct fake_vm *vms[VM_REGISTRY_MAX_VMS];
};

struct client_connection {
    int fd;
    struct grpc_connection *grpc;
    uint8_t output[SEND_BUFFER_SIZE];
    size_t output_start;
    size_t output_end;
};

struct host {
    struct options options;
    uint64_t start_ms;
    struct image_store images;
    struct vm_registry registry;
    struct fake_backend backend;
    struct agent_api api;
    struct api_tokens tokens;
    struct attestation_key attestation_key;
    struct grpc_server *server;
    struct client_connection *connections[MAX_CONNECTIONS];
};

static volatile sig_atomic_t stopping;

static uint64_t monotonic_ms(void *context)
{
    (void)context;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

static uint64_t unix_ms(void *context)
{
    (void)context;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* The image store's plain page allocator: page-aligned heap memory. */
static void *allocate_pages(void *context, size_t bytes)
{
    (void)context;
    return aligned_alloc(IMAGE_PAGE_BYTES, bytes);
}

static void release_pages(void *context, void *memory, size_t bytes)
{
    (void)context;
    (void)bytes;
    free(memory);
}

static void host_facts(void *context, struct host_facts *facts)
{
    const struct host *host = context;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long page_bytes = sysconf(_SC_PAGESIZE);
    long pages = sysconf(_SC_PHYS_PAGES);
    long free_pages = sysconf(_SC_AVPHYS_PAGES);
    facts->name = host->options.host_name;
    facts->version = HOST_VERSION;
#if defined(__x86_64__)
    facts->architecture = "x86_64";
#elif defined(__aarch64__)
    facts->architecture = "aarch64";
#else
    facts->architecture = "unknown";
#endif
    facts->cpus = cpus > 0 ? (uint32_t)cpus : 1;
    facts->memory_total_bytes = pages > 0 && page_bytes > 0 ? (uint64_t)pages * (uint64_t)page_bytes : 0;
    facts->memory_free_bytes = free_pages > 0 && page_bytes > 0 ? (uint64_t)free_pages * (uint64_t)page_bytes : 0;
    facts->uptime_seconds = (monotonic_ms(NULL) - host->start_ms) / 1000;
}

/* --- The fake backend. --- */

static void console_write(struct fake_backend *backend, struct fake_vm *fake, const char *line)
{
    struct api_error error;
    if (vm_registry_console_output(backend->registry, fake->vm, (const uint8_t *)line, strlen(line), &error) !=
        API_STATUS_OK) {
        fprintf(stderr, "api host: console of %s: %s\n", fake->vm->name, error.message);
    }
}

static size_t fake_index(const struct fake_backend *backend, const struct fake_vm *fake)
{
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        if (backend->vms[i] == fake) {
            return i;
        }
    }
    return VM_REGISTRY_MAX_VMS;
}

static void fake_free(struct fake_backend *backend, struct fake_vm *fake)
{
    size_t index = fake_index(backend, fake);
    if (index < VM_REGISTRY_MAX_VMS) {
        backend->vms[index] = NULL;
    }
    fake->vm->backend_state = NULL;
    free(fake);
}

/* The guest's end as its uvmm would report it: the disks' final SHA-256s, then the end itself. */
static void fake_end(struct fake_backend *backend, struct fake_vm *fake, bool failed, const char *reason)
{
    struct vm_record *vm = fake->vm;
    struct api_error error;
    for (size_t i = 0; i < vm->spec.disk_count; i++) {
        char sha256[IMAGE_SHA256_HEX_LENGTH + 1];
        if (image_name_parse(vm->spec.disks[i].image, sha256) &&
            vm_registry_disk_sha256(backend->registry, vm, i, sha256, &error) != API_STATUS_OK) {
            fprintf(stderr, "api host: disk %zu of %s: %s\n", i, vm->name, error.message);
        }
    }
    fprintf(stderr, "api host: %s ends: %s\n", vm->name, reason);
    fake_free(backend, fake);
    if (vm_registry_vm_ended(backend->registry, vm, failed, reason, &error) != API_STATUS_OK) {
        fprintf(stderr, "api host: end of %s: %s\n", vm->name, error.message);
    }
}

/* The value of "<key>=<n>" on the command line, or 0. */
static unsigned command_line_number(const char *command_line, const char *key)
{
    const char *found = strstr(command_line, key);
    if (!found || found[strlen(key)] != '=') {
        return 0;
    }
    return (unsigned)strtoul(found + strlen(key) + 1, NULL, 10);
}

static const char *fake_start(void *context, struct vm_record *vm)
{
    struct fake_backend *backend = context;
    const struct image_record *kernel = NULL;
    struct api_error error;
    if (image_store_get(backend->images, vm->spec.kernel_image, &kernel, &error) != API_STATUS_OK) {
        return "uvmm: the kernel image is gone";
    }
    if (strstr(kernel->display_name, "fail-start")) {
        return "uvmm: cannot load the kernel: not a bzImage (fake)";
    }
    /* What attestation quotes: the fake's own spec, in the launch spec's form (no uvmm image: vmm_sha256 is ""). */
    char spec[128];
    int spec_length = snprintf(spec, sizeof(spec), "microapp %s\nimage fake-uvmm\nmemory %uM\ncapability log\n", vm->id,
                               (unsigned)vm->spec.memory_mib);
    if (vm_registry_launch_spec(backend->registry, vm, spec, (size_t)spec_length, &error) != API_STATUS_OK) {
        return "uvmm: the fake backend has no memory for the launch spec";
    }
    size_t index = fake_index(backend, NULL);
    struct fake_vm *fake = index < VM_REGISTRY_MAX_VMS ? calloc(1, sizeof(*fake)) : NULL;
    if (!fake) {
        return "uvmm: the fake backend has no memory for the VM";
    }
    fake->vm = vm;
    fake->crashes = strstr(kernel->display_name, "crash") != NULL;
    fake->poweroff_after = command_line_number(vm->spec.command_line, "fake.poweroff_after");
    fake->ignores_poweroff = strstr(vm->spec.command_line, "fake.ignore_poweroff") != NULL;
    /* The first line at the loop's next round, after StartVm has answered. */
    fake->next_line_ms = monotonic_ms(NULL);
    backend->vms[index] = fake;
    vm->backend_state = fake;
    fprintf(stderr, "api host: %s starts (kernel %s)\n", vm->name, kernel->display_name);
    return NULL;
}

static const char *fake_stop(void *context, struct vm_record *vm, bool force, uint32_t grace_period_ms)
{
    struct fake_backend *backend = context;
    struct fake_vm *fake = vm->backend_state;
    if (!fake) {
        return "uvmm: the fake backend does not know the VM";
    }
    if (force) {
        fake_end(backend, fake, false, "stopped through the API");
        return NULL;
    }
    uint64_t now = monotonic_ms(NULL);
    fake->stopping = true;
    fake->grace_period_ms = grace_period_ms;
    fake->force_ms = now + grace_period_ms;
    uint64_t shutdown = backend->shutdown_ms < grace_period_ms ? backend->shutdown_ms : grace_period_ms;
    fake->power_off_ms = fake->ignores_poweroff ? UINT64_MAX : now + shutdown;
    return NULL;
}

/* Runs what is due of one guest; false if it ended (fake is freed). */
static bool fake_run(struct fake_backend *backend, struct fake_vm *fake, uint64_t now)
{
    char line[LINE_BYTES];
    if (fake->stopping && now >= fake->power_off_ms) {
        console_write(backend, fake, "fake guest: reboot: Power down\n");
        fake_end(backend, fake, false, "guest powered off");
        return false;
    }
    if (fake->stopping && now >= fake->force_ms) {
        snprintf(line, sizeof(line), "stopped through the API: the guest did not power off within %" PRIu32 " ms",
                 fake->grace_period_ms);
        fake_end(backend, fake, false, line);
        return false;
    }
    if (now < fake->next_line_ms) {
        return true;
    }
    fake->lines++;
    fake->next_line_ms = now + backend->tick_ms;
    if (fake->lines == 1) {
        snprintf(line, sizeof(line), "fake guest: booting %s with %" PRIu32 " MiB, command line \"%s\"\n",
                 fake->vm->spec.kernel_image, fake->vm->spec.memory_mib, fake->vm->spec.command_line);
    } else {
        snprintf(line, sizeof(line), "fake guest: tick %u\n", fake->lines);
    }
    console_write(backend, fake, line);
    if (fake->crashes && fake->lines == CRASH_AFTER_LINES) {
        console_write(backend, fake, "fake guest: BUG: unable to handle page fault for address: 0000000000000bad\n");
        fake_end(backend, fake, true, "uvmm stopped: page fault at 0xbad (guest rip 0xffffffff81000000)");
        return false;
    }
    if (fake->poweroff_after != 0 && fake->lines == fake->poweroff_after) {
        console_write(backend, fake, "fake guest: reboot: Power down\n");
        fake_end(backend, fake, false, "guest powered off");
        return false;
    }
    return true;
}

static void fake_run_all(struct fake_backend *backend)
{
    uint64_t now = monotonic_ms(NULL);
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        if (backend->vms[i]) {
            fake_run(backend, backend->vms[i], now);
        }
    }
}

/* The earliest moment a guest has something to do, or UINT64_MAX. */
static uint64_t fake_next_ms(const struct fake_backend *backend)
{
    uint64_t earliest = UINT64_MAX;
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        const struct fake_vm *fake = backend->vms[i];
        if (!fake) {
            continue;
        }
        uint64_t next = fake->next_line_ms;
        if (fake->stopping) {
            next = fake->power_off_ms < next ? fake->power_off_ms : next;
            next = fake->force_ms < next ? fake->force_ms : next;
        }
        earliest = next < earliest ? next : earliest;
    }
    return earliest;
}

/* The uvmms end with the program: nothing is reported, the registry goes next. */
static void fake_end_all(struct fake_backend *backend)
{
    for (size_t i = 0; i < VM_REGISTRY_MAX_VMS; i++) {
        if (backend->vms[i]) {
            fake_free(backend, backend->vms[i]);
        }
    }
}

/* --- Connections, as in lib/grpc/interop/grpc_echo_server.c. --- */

static void close_connection(struct host *host, size_t index)
{
    struct client_connection *connection = host->connections[index];
    grpc_connection_destroy(connection->grpc); /* on_cancel for the calls it still had */
    close(connection->fd);
    free(connection);
    host->connections[index] = NULL;
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
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            perror("api host: send");
            return false;
        }
        connection->output_start += (size_t)sent;
    }
}

static void accept_connection(struct host *host, int listener)
{
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
        perror("api host: accept");
        return;
    }
    size_t index = 0;
    while (index < MAX_CONNECTIONS && host->connections[index] != NULL) {
        index++;
    }
    struct client_connection *connection = index < MAX_CONNECTIONS ? calloc(1, sizeof(*connection)) : NULL;
    if (connection == NULL) {
        fprintf(stderr, "api host: connection refused: %s\n",
                index < MAX_CONNECTIONS ? "out of memory" : "too many connections");
        close(fd);
        return;
    }
    connection->fd = fd;
    connection->grpc = grpc_connection_create(host->server, connection);
    if (connection->grpc == NULL) {
        fprintf(stderr, "api host: connection refused: grpc_connection_create failed\n");
        close(fd);
        free(connection);
        return;
    }
    host->connections[index] = connection;
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
        fprintf(stderr, "api host: receive: %s\n", grpc_result_name(result));
        return false;
    }
    return true;
}

/* How long the loop may wait: until the next call deadline or guest timer (NULL: forever). */
static const struct timespec *poll_timeout(const struct host *host, struct timespec *timeout)
{
    uint64_t earliest = fake_next_ms(&host->backend);
    for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
        if (host->connections[i] != NULL) {
            uint64_t deadline = grpc_connection_next_deadline_ms(host->connections[i]->grpc);
            earliest = deadline < earliest ? deadline : earliest;
        }
    }
    if (earliest == UINT64_MAX) {
        return NULL;
    }
    uint64_t now = monotonic_ms(NULL);
    uint64_t wait_ms = earliest <= now ? 0 : earliest - now;
    timeout->tv_sec = (time_t)(wait_ms / 1000);
    timeout->tv_nsec = (long)(wait_ms % 1000) * 1000000;
    return timeout;
}

static void stop(int signal_number)
{
    (void)signal_number;
    stopping = 1;
}

static int listen_on(unsigned port)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) {
        perror("api host: socket");
        return -1;
    }
    int reuse = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0 || listen(listener, 64) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("api host: bind/listen");
        close(listener);
        return -1;
    }
    printf("port %u\n", (unsigned)ntohs(address.sin_port));
    fflush(stdout);
    return listener;
}

static void serve(struct host *host, int listener, const sigset_t *while_polling)
{
    while (!stopping) {
        struct pollfd fds[MAX_CONNECTIONS + 1];
        size_t owners[MAX_CONNECTIONS + 1];
        nfds_t count = 0;
        fds[count++] = (struct pollfd){.fd = listener, .events = POLLIN};
        for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
            struct client_connection *connection = host->connections[i];
            if (connection == NULL) {
                continue;
            }
            bool writing =
                connection->output_start < connection->output_end || grpc_connection_wants_output(connection->grpc);
            owners[count] = i;
            fds[count++] = (struct pollfd){.fd = connection->fd, .events = POLLIN | (writing ? POLLOUT : 0)};
        }
        struct timespec timeout;
        int ready = ppoll(fds, count, poll_timeout(host, &timeout), while_polling);
        if (ready < 0 && errno != EINTR) {
            perror("api host: poll");
            break;
        }
        if (ready < 0) {
            continue; /* a stop signal: the loop's condition ends it */
        }
        if (fds[0].revents & POLLIN) {
            accept_connection(host, listener);
        }
        for (nfds_t i = 1; i < count; i++) {
            if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !receive(host->connections[owners[i]])) {
                close_connection(host, owners[i]);
            }
        }
        uint64_t now = monotonic_ms(NULL);
        for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
            if (host->connections[i] != NULL) {
                grpc_connection_tick(host->connections[i]->grpc, now);
            }
        }
        fake_run_all(&host->backend);
        for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
            if (host->connections[i] != NULL &&
                (!flush(host->connections[i]) || grpc_connection_is_finished(host->connections[i]->grpc))) {
                close_connection(host, i);
            }
        }
    }
}

static bool parse_number(const char *text, uint64_t *value)
{
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        return false;
    }
    *value = parsed;
    return true;
}

static bool parse_options(int argc, char **argv, struct options *options)
{
    uint64_t port = 0;
    uint64_t max_image_mib = 64;
    uint64_t image_store_mib = 256;
    uint64_t vm_memory_mib = 8192;
    *options = (struct options){.host_name = "api-host", .tick_ms = 100, .shutdown_ms = 300};
    for (int i = 1; i < argc; i++) {
        bool has_value = i + 1 < argc;
        const char *name = argv[i];
        const char *value = has_value ? argv[++i] : "";
        bool valid = has_value;
        if (strcmp(name, "--port") == 0) {
            valid = valid && parse_number(value, &port) && port <= 65535;
        } else if (strcmp(name, "--host-name") == 0) {
            options->host_name = value;
        } else if (strcmp(name, "--tick-ms") == 0) {
            valid = valid && parse_number(value, &options->tick_ms) && options->tick_ms > 0;
        } else if (strcmp(name, "--shutdown-ms") == 0) {
            valid = valid && parse_number(value, &options->shutdown_ms);
        } else if (strcmp(name, "--max-image-mib") == 0) {
            valid = valid && parse_number(value, &max_image_mib);
        } else if (strcmp(name, "--image-store-mib") == 0) {
            valid = valid && parse_number(value, &image_store_mib);
        } else if (strcmp(name, "--vm-memory-mib") == 0) {
            valid = valid && parse_number(value, &vm_memory_mib);
        } else if (strcmp(name, "--api-tokens") == 0) {
            options->api_tokens_path = value;
        } else {
            valid = false;
        }
        if (!valid) {
            fprintf(stderr, "api host: bad option %s\n", name);
            return false;
        }
    }
    options->port = (unsigned)port;
    options->max_image_bytes = max_image_mib * MIB;
    options->image_store_bytes = image_store_mib * MIB;
    options->vm_memory_bytes = vm_memory_mib * MIB;
    return true;
}

static bool system_random(void *context, uint8_t *bytes, size_t length)
{
    (void)context;
    while (length > 0) {
        ssize_t got = getrandom(bytes, length, 0);
        if (got < 0 && errno != EINTR) {
            return false;
        }
        if (got > 0) {
            bytes += got;
            length -= (size_t)got;
        }
    }
    return true;
}

/* The token file at path into host->tokens. */
static bool read_tokens(struct host *host, const char *path)
{
    static char text[API_TOKENS_MAX * 256];
    FILE *file = fopen(path, "r");
    if (!file) {
        fprintf(stderr, "api host: --api-tokens %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t length = fread(text, 1, sizeof(text), file);
    bool whole = feof(file) && !ferror(file);
    fclose(file);
    struct api_error error;
    if (!whole) {
        fprintf(stderr, "api host: --api-tokens %s: unreadable or larger than %zu bytes\n", path, sizeof(text));
        return false;
    }
    if (api_tokens_parse(&host->tokens, text, length, &error) != API_STATUS_OK) {
        fprintf(stderr, "api host: --api-tokens %s: %s\n", path, error.message);
        return false;
    }
    return true;
}

/* The model and the API, wired as the agent wires them. */
static bool host_init(struct host *host)
{
    struct api_error error;
    if (host->options.api_tokens_path && !read_tokens(host, host->options.api_tokens_path)) {
        return false;
    }
    struct image_store_config store_config = {
        .max_image_bytes = host->options.max_image_bytes,
        .max_total_bytes = host->options.image_store_bytes,
        .allocator = {.allocate = allocate_pages, .release = release_pages},
        .clock = {.now_ms = unix_ms},
    };
    if (image_store_init(&host->images, &store_config, &error) != API_STATUS_OK) {
        fprintf(stderr, "api host: %s\n", error.message);
        return false;
    }
    host->backend = (struct fake_backend){
        .registry = &host->registry,
        .images = &host->images,
        .tick_ms = host->options.tick_ms,
        .shutdown_ms = host->options.shutdown_ms,
    };
    struct vm_registry_config registry_config = {
        .memory_limit_bytes = host->options.vm_memory_bytes,
        .backend = {.start = fake_start, .stop = fake_stop, .context = &host->backend},
        .clock = {.now_ms = unix_ms},
        .images = &host->images,
    };
    if (vm_registry_init(&host->registry, &registry_config, &error) != API_STATUS_OK) {
        fprintf(stderr, "api host: %s\n", error.message);
        image_store_destroy(&host->images);
        return false;
    }
    image_store_set_users(&host->images, vm_registry_image_users(&host->registry));
    if (attestation_key_generate(&host->attestation_key, system_random, NULL, &error) != API_STATUS_OK) {
        fprintf(stderr, "api host: %s\n", error.message);
        vm_registry_destroy(&host->registry);
        image_store_destroy(&host->images);
        return false;
    }
    struct agent_api_config api_config = {
        .registry = &host->registry,
        .images = &host->images,
        .host_facts = host_facts,
        .host_facts_context = host,
        .attestation_key = &host->attestation_key,
    };
    if (agent_api_init(&host->api, &api_config, &error) != API_STATUS_OK) {
        fprintf(stderr, "api host: %s\n", error.message);
        attestation_key_destroy(&host->attestation_key);
        vm_registry_destroy(&host->registry);
        image_store_destroy(&host->images);
        return false;
    }
    size_t method_count;
    const struct grpc_method *methods = agent_api_methods(&host->api, &method_count);
    host->server = grpc_server_create(&(struct grpc_server_config){
        .methods = methods,
        .method_count = method_count,
        .clock_ms = monotonic_ms,
        .authenticate = host->options.api_tokens_path ? api_tokens_authenticate : NULL,
        .authenticate_context = &host->tokens,
    });
    if (!host->server) {
        fprintf(stderr, "api host: grpc_server_create failed\n");
        attestation_key_destroy(&host->attestation_key);
        vm_registry_destroy(&host->registry);
        image_store_destroy(&host->images);
        return false;
    }
    return true;
}

/* Ends everything in order; false if a call of the API outlived its connection. */
static bool host_destroy(struct host *host)
{
    for (size_t i = 0; i < MAX_CONNECTIONS; i++) {
        if (host->connections[i] != NULL) {
            close_connection(host, i);
        }
    }
    bool clean = host->api.watches == 0 && host->api.console_streams == 0 && host->api.uploads == 0 &&
                 host->registry.observers == NULL;
    if (!clean) {
        fprintf(stderr, "api host: left behind: %zu watches, %zu console streams, %zu uploads\n", host->api.watches,
                host->api.console_streams, host->api.uploads);
    }
    fake_end_all(&host->backend);
    vm_registry_destroy(&host->registry);
    image_store_destroy(&host->images);
    grpc_server_destroy(host->server);
    attestation_key_destroy(&host->attestation_key);
    return clean;
}

int main(int argc, char **argv)
{
    struct host *host = calloc(1, sizeof(*host));
    if (!host || !parse_options(argc, argv, &host->options)) {
        fprintf(stderr,
                "usage: %s [--port N] [--host-name NAME] [--tick-ms N] [--shutdown-ms N] [--max-image-mib N] "
                "[--image-store-mib N] [--vm-memory-mib N] [--api-tokens FILE]\n",
                argv[0]);
        free(host);
        return 2;
    }
    host->start_ms = monotonic_ms(NULL);
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
    if (!host_init(host)) {
        free(host);
        return 1;
    }
    int listener = listen_on(host->options.port);
    if (listener >= 0) {
        serve(host, listener, &while_polling);
        close(listener);
    }
    bool clean = host_destroy(host);
    free(host);
    fprintf(stderr, "api host: stopped%s\n", clean ? "" : " (not clean)");
    return listener >= 0 && clean ? 0 : 1;
}

#include "pci_supervise.h"

#include "agent/switch_port.h"
#include "driver_restart.h"
#include "driver_spec.h"
#include "pci_assign.h"

#include <kapsel/environment.h>
#include <kapsel/launcher.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define DRIVER_NAME "nic"
#define DRIVER_QUOTA (4ull << 20)
#define DRIVER_MEMORY (1ull << 20)
#define REGION_SIZE (256ull << 10)
#define REGION_ORDER 6 /* 2^6 pages = REGION_SIZE */
#define PORT_NAME "nic-uplink"
/* Slots past the Irqs pci_assign binds (APP_FIRST_NAMED + APP_MAX_NAMED_CAPABILITIES + PCI_HANDOFF_MAX_VECTORS). */
#define DRIVER_TASK_SLOT (APP_FIRST_NAMED + APP_MAX_NAMED_CAPABILITIES + PCI_HANDOFF_MAX_VECTORS)
#define DRIVER_CONTROL_SLOT (DRIVER_TASK_SLOT + 1)
#define FIRST_BACKOFF_MS 100
#define MAX_BACKOFF_MS 2000
#define SERVE_SLICE_MS 10

_Static_assert(REGION_SIZE == APP_PAGE_SIZE << REGION_ORDER, "the region is one mapping");

/* One launched driver. */
struct driver {
    uint64_t handle;
    void *region;
    uint32_t port;
    bool attached;
};

/* The clock, from the manifest's "capability clock" (pci_supervise checks that pci_bus holds one). */
static uint64_t now_ms(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000;
}

/* Prints the driver's log lines as the root task prints an app's: "[nic] text". */
static void relay_log(const uint64_t *message, unsigned words)
{
    static char line[LOG_MAX_BYTES + 1];
    static size_t used;
    uint64_t bytes = words > 0 ? message[0] : 0;
    if (bytes > LOG_MAX_BYTES || bytes > (words - 1) * 8ull) {
        return;
    }
    /* Copied first: printf's own log call reuses the UTCB's message words. */
    static char text[LOG_MAX_BYTES];
    memcpy(text, &message[1], bytes);
    for (uint64_t i = 0; i < bytes; i++) {
        if (text[i] == '\n' || used == LOG_MAX_BYTES) {
            line[used] = '\0';
            printf("[" DRIVER_NAME "] %s\n", line);
            used = 0;
        }
        if (text[i] != '\n') {
            line[used++] = text[i];
        }
    }
}

/* Launches a driver with a fresh region and uplink port, not yet running; NULL or why not. */
static const char *launch(uint64_t launcher, uint64_t switch_gate, const struct pci_supervision *supervision,
                          struct driver *driver)
{
    static char spec[LAUNCH_SPEC_MAX_SIZE];
    struct driver_spec wanted = {.name = DRIVER_NAME,
                                 .image = supervision->image,
                                 .quota_bytes = DRIVER_QUOTA,
                                 .memory_bytes = DRIVER_MEMORY,
                                 .region_bytes = REGION_SIZE};
    size_t length = driver_spec_write(&wanted, spec, sizeof(spec));
    if (length == 0) {
        return "the driver's launch spec does not fit";
    }
    *driver = (struct driver){.region = memalign(REGION_SIZE, REGION_SIZE)};
    if (!driver->region) {
        return "no memory for the uplink region";
    }
    memset(driver->region, 0, REGION_SIZE);
    struct launch_request request = {
        .spec = spec, .spec_length = length, .task_slot = DRIVER_TASK_SLOT, .control_slot = DRIVER_CONTROL_SLOT};
    struct launch_created created;
    static char reason[SWITCH_CONTROL_REASON_SIZE];
    enum error error = launcher_create(launcher, &request, &created, reason, sizeof(reason));
    if (error != ERROR_NONE) {
        printf("pci_bus: launching %s: %s: %s\n", supervision->image, error_name(error), reason);
        return "the launch service refused the driver";
    }
    driver->handle = created.handle;
    error =
        task_map(DRIVER_TASK_SLOT,
                 ITEM_MEMORY((uintptr_t)driver->region / APP_PAGE_SIZE, REGION_ORDER, MEMORY_READ | MEMORY_WRITE, 0),
                 APP_SHARED_ADDRESS);
    if (error != ERROR_NONE) {
        printf("pci_bus: mapping the uplink region into the driver: %s\n", error_name(error));
        return "the uplink region could not be mapped";
    }
    error = switch_port_attach_uplink(switch_gate, driver->region, REGION_SIZE, supervision->network,
                                      DRIVER_CONTROL_SLOT, PORT_NAME, &driver->port, reason, sizeof(reason));
    if (error != ERROR_NONE) {
        printf("pci_bus: attaching the uplink: %s: %s\n", error_name(error), reason);
        return "the switch refused the uplink port";
    }
    driver->attached = true;
    printf("pci_bus: launched %s as %s, uplink port %u on network %u\n", supervision->image, DRIVER_NAME,
           (unsigned)driver->port, (unsigned)supervision->network);
    error = launcher_run(launcher, driver->handle, reason, sizeof(reason));
    if (error != ERROR_NONE) {
        printf("pci_bus: running the driver: %s: %s\n", error_name(error), reason);
        return "the driver could not be run";
    }
    return NULL;
}

/* Serves the driver's log until it ends, stopping it at stop_at_ms (0: never); prints why it ended. */
static void serve_until_ended(uint64_t launcher, const struct driver *driver, uint64_t stop_at_ms)
{
    char reason[LAUNCH_REASON_SIZE];
    for (;;) {
        if (stop_at_ms && now_ms() >= stop_at_ms) {
            stop_at_ms = 0;
            printf("pci_bus: stopping %s (the --kill-driver-after-ms test hook)\n", DRIVER_NAME);
            enum error error = launcher_stop(launcher, driver->handle, reason, sizeof(reason));
            if (error != ERROR_NONE) {
                printf("pci_bus: stopping %s: %s: %s\n", DRIVER_NAME, error_name(error), reason);
            }
        }
        struct invoke_result received = ipc_wait(TIMEOUTS(0, SERVE_SLICE_MS));
        if (received.error != ERROR_NONE) {
            continue;
        }
        if (received.label == (LAUNCH_LABEL_LOG | driver->handle)) {
            if (MESSAGE_TAG_LABEL(received.tag) == LABEL_LOG_WRITE) {
                relay_log(utcb()->message, MESSAGE_TAG_WORDS(received.tag));
            }
            ipc_reply(MESSAGE_TAG(ERROR_NONE, 0, 0));
        } else if (received.label == (LAUNCH_LABEL_ENDED | driver->handle)) {
            break;
        }
    }
    enum launch_state state = 0;
    uint64_t kernel_memory = 0;
    if (launcher_status(launcher, driver->handle, &state, &kernel_memory, reason, sizeof(reason)) != ERROR_NONE) {
        snprintf(reason, sizeof(reason), "(its status is unknown)");
    }
    printf("pci_bus: %s ended: %s\n", DRIVER_NAME, reason);
}

/* Takes the ended driver's port and region away and forgets it. */
static void clean_up(uint64_t launcher, uint64_t switch_gate, struct driver *driver)
{
    char reason[SWITCH_CONTROL_REASON_SIZE];
    if (driver->attached) {
        enum error error = switch_port_detach(switch_gate, driver->port, NULL, reason, sizeof(reason));
        if (error == ERROR_NONE) {
            printf("pci_bus: uplink port %u detached\n", (unsigned)driver->port);
        } else {
            printf("pci_bus: detaching uplink port %u: %s: %s\n", (unsigned)driver->port, error_name(error), reason);
        }
    }
    if (driver->handle) {
        launcher_release(launcher, driver->handle, NULL, 0);
    }
    free(driver->region);
    *driver = (struct driver){0};
}

static void sleep_ms(uint64_t ms)
{
    uint64_t until = now_ms() + ms;
    while (now_ms() < until) {
        ipc_wait(TIMEOUTS(0, SERVE_SLICE_MS));
    }
}

const char *pci_supervise(const struct pci_config *config, const struct pci_function *fn,
                          const struct pci_supervision *supervision)
{
    uint64_t launcher = capability_named("launcher");
    uint64_t switch_gate = capability_named("peer:" DRIVER_SPEC_SWITCH);
    struct timeval now;
    if (!launcher || !switch_gate || gettimeofday(&now, NULL) != 0) {
        return "supervising a driver takes capabilities launcher, peer:switch and clock (its backoff is timed)";
    }
    static struct pci_handoff_message handoff;
    const char *problem = pci_handoff_prepare(fn, &handoff);
    if (problem) {
        return problem;
    }
    struct driver_restart_policy policy =
        driver_restart_policy(supervision->max_restarts, FIRST_BACKOFF_MS, MAX_BACKOFF_MS);
    bool first = true;
    for (;;) {
        struct driver driver;
        problem = launch(launcher, switch_gate, supervision, &driver);
        if (!problem) {
            problem = pci_handoff_enable(config, fn);
        }
        if (!problem) {
            problem = pci_handoff_call(DRIVER_CONTROL_SLOT, DRIVER_NAME, &handoff);
        }
        if (problem) {
            printf("pci_bus: driver not started: %s\n", problem);
            if (driver.handle) {
                launcher_stop(launcher, driver.handle, NULL, 0);
            }
        } else {
            printf("pci_bus: %02x:%02x.%x handed to %s (%u BARs, %u MSI-X vectors)\n", fn->address.bus,
                   fn->address.device, fn->address.function, DRIVER_NAME,
                   (unsigned)handoff.words[PCI_HANDOFF_W_BAR_COUNT],
                   (unsigned)handoff.words[PCI_HANDOFF_W_VECTOR_COUNT]);
        }
        uint64_t stop_at = first && supervision->kill_after_ms ? now_ms() + supervision->kill_after_ms : 0;
        first = false;
        if (driver.handle) {
            serve_until_ended(launcher, &driver, problem ? 0 : stop_at);
        }
        pci_device_quiesce(config, fn);
        printf("pci_bus: %02x:%02x.%x quiesced (bus mastering and MSI-X off, virtio reset)\n", fn->address.bus,
               fn->address.device, fn->address.function);
        clean_up(launcher, switch_gate, &driver);
        uint64_t backoff = 0;
        if (!driver_restart_next(&policy, &backoff)) {
            return "the driver may not be restarted again";
        }
        printf("pci_bus: restarting %s in %llu ms (restart %u of %u)\n", DRIVER_NAME, (unsigned long long)backoff,
               policy.restarts, policy.max_restarts);
        sleep_ms(backoff);
    }
}

/*
 * The VM registry's backend in the agent: each VM runs in its own uvmm Micro-App, started through the root task's
 * launch service (kapsel/launcher.h) from the agent's own quota and memory. The uvmm gets exactly what its VM needs:
 * its log (a gate to the agent: the VM's console, which only the agent sees), a factory for its Vm object, the
 * scheduler, the VM's images mapped read-only from the agent's image store (no copy: the same pages for every VM
 * that boots them), and for a VM on a tenant network a port of the switch (a ring region the agent supplies and
 * attaches to the switch). The agent keeps the uvmm's task capability (to map those) and a control gate (to ask
 * for a graceful shutdown).
 *
 * The launch service's messages for the agent (the uvmms' log writes, their end notices) reach the agent's main
 * loop, which hands them to uvmm_launcher_receive.
 */
#ifndef AGENT_UVMM_LAUNCHER_H
#define AGENT_UVMM_LAUNCHER_H

#include "tenant_networks.h"
#include "vm_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UVMM_LAUNCHER_MAX_RUNS VM_REGISTRY_MAX_VMS
#define UVMM_LAUNCHER_LINE_BYTES 256
#define UVMM_LAUNCHER_REASON_BYTES 192

/* One uvmm the agent launched, while it runs and until its end is reported. */
struct uvmm_run {
    struct vm_record *vm;      /* NULL: a free entry */
    uint64_t handle;           /* the launch service's */
    bool created;              /* the launch service has it (and a handle to release) */
    uint64_t stop_deadline_ms; /* a graceful stop's deadline, after which it is stopped by force; 0: none */
    uint64_t next_request_ms;  /* when to ask the guest again (the uvmm takes messages only between guest runs) */
    bool grace_period_over;    /* stopped by force because the guest did not end in time */
    void *port_region;         /* the switch port's rings (agent memory), NULL: no network */
    size_t port_region_bytes;
    uint32_t switch_port;
    bool port_attached;
    uint32_t switch_network;             /* the tenant network's switch network it holds (tenant_networks.h); 0: none */
    char line[UVMM_LAUNCHER_LINE_BYTES]; /* the uvmm's log line being assembled */
    size_t line_length;
    char end_line[UVMM_LAUNCHER_REASON_BYTES]; /* its "VM ended: ..." text */
};

struct uvmm_launcher_config {
    uint64_t launcher;                /* the launcher capability's slot */
    uint64_t switch_gate;             /* the peer:switch gate's slot; 0: VMs get no network */
    uint32_t management_network;      /* the switch network of the agent and the uplink: never a tenant's; 0: none */
    struct tenant_networks *networks; /* which switch network each tenant's network is */
    uint64_t first_free_slot; /* the agent's capability slots from here on hold the uvmms' task and control gate */
    const char *uvmm_image;   /* the uvmm's image in the boot archive */
    struct vm_registry *registry;
    struct image_store *images;
    uint64_t (*now_ms)(void);
};

struct uvmm_launcher {
    struct uvmm_launcher_config config;
    struct uvmm_run runs[UVMM_LAUNCHER_MAX_RUNS];
    char failure[UVMM_LAUNCHER_REASON_BYTES]; /* why the last start or stop failed: what they return points here */
};

void uvmm_launcher_init(struct uvmm_launcher *launcher, const struct uvmm_launcher_config *config);

/* The registry's backend (struct vm_backend): start and stop. */
const char *uvmm_launcher_start(void *context, struct vm_record *vm);
const char *uvmm_launcher_stop(void *context, struct vm_record *vm, bool force, uint32_t grace_period_ms);

/*
 * A message the agent's main loop received with label (words in the UTCB): true if it was the launch service's
 * (a uvmm's log write, answered here, or an end notice), false if it is someone else's.
 */
bool uvmm_launcher_receive(struct uvmm_launcher *launcher, uint64_t label, uint64_t tag);

/* Repeats shutdown requests and stops uvmms whose grace period is over; returns ms until it needs to run again. */
uint64_t uvmm_launcher_tick(struct uvmm_launcher *launcher, uint64_t now_ms);

#endif

/*
 * switch: the virtual switch Micro-App (the role of L4Re's virtio-net switch).
 *
 *     switch [--port <shared region>:<network>:<peer app> ...] [--uplink <shared region>:<network>:<peer app>]
 *            [--control <app>]
 *
 * Each --port is a link to one VM's uvmm (or the agent): the manifest shares <shared region> between the two apps
 * (the switch is end 0, the uvmm end 1 with --net-link <region>:1) and gives each a "peer:" gate to wake the other. A
 * port belongs to tenant network <network> (1..4095): frames move only between ports of the same network
 * (forwarding.h). ports.h says how each round serves them, and what an uplink (the NIC driver's port) is.
 *
 * --control <app> lets the boot manifest's apps (in practice <app>, the agent) add and remove ports while the switch
 * runs and set the uplink's policy (kapsel/switch_control.h); the switch holds "peer:<app>" to learn whether <app>
 * still lives. Without it the switch ends, with each port's counts, once every VM has closed its end; with it, it
 * also stays up while a port attached at runtime remains or <app> lives, and may start with no ports at all.
 */
#include "control.h"
#include "ports.h"
#include "receive_window.h"

#include <kapsel/runtime.h>
#include <kapsel/switch_control.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <string.h>

#define IDLE_WAIT_MS 10              /* a wakeup sent while the switch was busy is not lost for longer than this */
#define CONTROL_CHECK_IDLE_ROUNDS 20 /* with nothing else to keep it up, it asks after its control app this often */

/* Whether the control app (through the gate in slot gate) still lives: a wakeup to a gone thread fails at once. */
static bool control_app_lives(uint64_t gate)
{
    return ipc_send(gate, MESSAGE_TAG(SWITCH_WAKE_LABEL, 0, 0), TIMEOUTS(TIMEOUT_POLL, 0)).error != ERROR_PEER_GONE;
}

static void usage(void)
{
    fprintf(stderr, "switch: usage: switch [--port <shared region>:<network>:<peer app> ...] "
                    "[--uplink <shared region>:<network>:<peer app>] [--control <app>]\n");
}

int main(int argc, char **argv)
{
    ports_init();
    const char *control_app = NULL;
    for (int i = 1; i < argc; i++) {
        bool uplink = strcmp(argv[i], "--uplink") == 0;
        bool control = strcmp(argv[i], "--control") == 0;
        if ((!uplink && !control && strcmp(argv[i], "--port") != 0) || i + 1 == argc) {
            usage();
            return 1;
        }
        if (control && control_app) {
            fprintf(stderr, "switch: one --control app at most\n");
            return 1;
        }
        if (control) {
            control_app = argv[++i];
        } else if (!ports_add_static(argv[++i], uplink)) {
            usage();
            return 1;
        }
    }
    uint64_t control_gate = 0;
    if (control_app) {
        char name[APP_CAPABILITY_NAME_SIZE];
        snprintf(name, sizeof(name), "peer:%s", control_app);
        if (!(control_gate = capability_named(name))) {
            fprintf(stderr, "switch: --control %s: no capability %s to it\n", control_app, name);
            return 1;
        }
    } else if (ports_static_count() == 0) {
        fprintf(stderr, "switch: no ports\n");
        return 1;
    }
    printf("switching %u ports%s%s\n", ports_static_count(), control_app ? ", control by " : "",
           control_app ? control_app : "");
    bool control_alive = control_gate != 0;
    unsigned idle_rounds = 0;
    for (;;) {
        bool moved = ports_serve_round();
        bool ports_want_it = ports_keep_running();
        if (!ports_want_it && control_alive && !moved && ++idle_rounds >= CONTROL_CHECK_IDLE_ROUNDS) {
            idle_rounds = 0;
            control_alive = control_app_lives(control_gate);
        }
        if (!ports_want_it && !control_alive) {
            ports_close_uplinks();
            if (ports_all_closed()) {
                break;
            }
        }
        /* Every round polls for a control request, so that one waits at most a round even while frames flow. */
        unsigned pair = ports_free_number(); /* RECEIVE_WINDOW_SPARE when every port is in use */
        receive_window_open(pair);
        struct invoke_result received = ipc_wait(TIMEOUTS(0, moved ? TIMEOUT_POLL : IDLE_WAIT_MS));
        if (received.error == ERROR_NONE) {
            control_serve(received, pair, control_gate != 0);
        }
    }
    if (control_app) {
        printf("control app %s has ended\n", control_app);
    }
    ports_print_counts();
    return 0;
}

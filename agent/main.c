/*
 * agent: the management agent Micro-App. Its network side is a port of the virtual switch (end 1 of a frame link in
 * a shared region, woken through a gate to the switch) with lwIP and a static address; on it the plain TCP health
 * check (health_service.h) and, with --api-port, the gRPC API (api/kapsel/v1: VmService, ImageService,
 * HostService) over lib/grpc. The API's VMs run in uvmms the agent starts through the root task's launch service
 * (uvmm_launcher.h); their images live in the agent's heap (image_store.h).
 *
 *     agent --host-name <name> --switch-port <shared region>:<switch app> --mac <mac> --address <a.b.c.d>/<bits>
 *           [--exit-after <connections>] [--sink-port <port>]
 *           [--api-port <port> --images <size> --vm-memory <size> [--management-network <id>]
 *            [--api-tokens <file>] [--measure <file>[,<file>...]]] [--uplink-networks <id>[,<id>...]]
 *
 * --exit-after ends the agent once it has answered that many health checks (and closes its port, so that the
 * switch can end too): for tests, whose runs end when every Micro-App has. --sink-port also serves the TCP sink
 * (sink_service.h) on that port: the throughput benchmark (benchmarks/network.py) sends it its bytes. --api-port
 * needs the manifest's "capability launcher memory=<size>"; --images bounds the image store, --vm-memory the guest
 * RAM of all VMs that are not ended; --management-network names the switch network of the agent and the uplink,
 * which no tenant VM may join; --api-tokens names the agent's file of API tokens (api_tokens.h): without it every
 * client acts for every tenant, which the agent says at start. --measure names the agent's files (boot archive files
 * the manifest gives it) whose SHA-256 attestation evidence reports as the host's components. --uplink-networks is the
 * policy the agent sets on the switch (its "peer:switch"): which networks share the host's uplink, all others are cut
 * off from it.
 */
#include "api_endpoint.h"
#include "health_service.h"
#include "sink_service.h"
#include "switch_port.h"
#include "vmm/net/frame_link.h"
#include "vmm/net/mac_address.h"

#include <kapsel/net_interface.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <lwip/ip4_addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define IDLE_WAIT_MAX_MS 10 /* a wakeup sent while the agent was busy is not lost for longer than this */
#define SWITCH_END 1

struct options {
    const char *host_name;
    char *switch_port;
    uint8_t mac[6];
    bool has_mac;
    ip4_addr_t address;
    ip4_addr_t netmask;
    bool has_address;
    unsigned long exit_after; /* 0: serve for ever */
    unsigned long sink_port;  /* 0: no sink */
    unsigned long api_port;   /* 0: no API */
    uint64_t image_bytes;
    uint64_t vm_memory_bytes;
    unsigned long management_network;                     /* 0: none */
    const char *api_tokens_file;                          /* NULL: an open API */
    const char *measure;                                  /* NULL: no host components in evidence */
    uint32_t uplink_networks[SWITCH_UPLINK_MAX_NETWORKS]; /* the networks the agent lets use the switch's uplink */
    size_t uplink_network_count;
    bool has_uplink_policy;
};

static struct frame_link switch_link;
static struct net_interface interface;
static uint8_t frame[FRAME_RING_MAX_FRAME];
static time_t start_seconds;

/* "a.b.c.d/bits" */
static bool parse_address(char *text, ip4_addr_t *address, ip4_addr_t *netmask)
{
    char *slash = strchr(text, '/');
    if (!slash) {
        return false;
    }
    *slash = '\0';
    char *end;
    unsigned long bits = strtoul(slash + 1, &end, 10);
    if (*end != '\0' || end == slash + 1 || bits < 1 || bits > 30 || !ip4addr_aton(text, address)) {
        return false;
    }
    ip4_addr_set_u32(netmask, lwip_htonl(0xffffffffu << (32 - bits)));
    return true;
}

/* "<n>[K|M|G]" in bytes; false for anything else or 0. */
static bool parse_size(const char *text, uint64_t *bytes)
{
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (end == text || value == 0 || (shift && end[1] != '\0') || (!shift && *end != '\0') ||
        value > (UINT64_MAX >> shift)) {
        return false;
    }
    *bytes = (uint64_t)value << shift;
    return true;
}

/* "<id>[,<id>...]": network ids 1..4095, at most SWITCH_UPLINK_MAX_NETWORKS. */
static bool parse_networks(char *text, uint32_t *networks, size_t *count)
{
    *count = 0;
    for (char *next = text; next && *next;) {
        char *end;
        unsigned long id = strtoul(next, &end, 10);
        if (end == next || (*end != ',' && *end != '\0') || id < 1 || id > 4095 ||
            *count == SWITCH_UPLINK_MAX_NETWORKS) {
            return false;
        }
        networks[(*count)++] = (uint32_t)id;
        next = *end == ',' ? end + 1 : NULL;
    }
    return *count > 0;
}

/* A TCP port for a service: 1..65535 and not the health check's. */
static bool parse_port(const char *key, const char *text, unsigned long *port)
{
    char *end;
    *port = strtoul(text, &end, 10);
    if (*end != '\0' || *port == 0 || *port > 65535 || *port == HEALTH_SERVICE_PORT) {
        fprintf(stderr, "agent: %s %s is not a free TCP port\n", key, text);
        return false;
    }
    return true;
}

static bool parse_options(int argc, char **argv, struct options *options)
{
    memset(options, 0, sizeof(*options));
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *key = argv[i];
        char *value = argv[i + 1];
        if (strcmp(key, "--host-name") == 0) {
            options->host_name = value;
        } else if (strcmp(key, "--switch-port") == 0) {
            options->switch_port = value;
        } else if (strcmp(key, "--mac") == 0) {
            options->has_mac = mac_address_parse(value, options->mac);
        } else if (strcmp(key, "--address") == 0) {
            options->has_address = parse_address(value, &options->address, &options->netmask);
        } else if (strcmp(key, "--exit-after") == 0) {
            options->exit_after = strtoul(value, NULL, 10);
        } else if (strcmp(key, "--sink-port") == 0) {
            if (!parse_port(key, value, &options->sink_port)) {
                return false;
            }
        } else if (strcmp(key, "--api-port") == 0) {
            if (!parse_port(key, value, &options->api_port)) {
                return false;
            }
        } else if (strcmp(key, "--uplink-networks") == 0) {
            options->has_uplink_policy = true;
            if (!parse_networks(value, options->uplink_networks, &options->uplink_network_count)) {
                fprintf(stderr, "agent: --uplink-networks %s is not <id>[,<id>...] of 1..4095 (at most %u)\n", value,
                        SWITCH_UPLINK_MAX_NETWORKS);
                return false;
            }
        } else if (strcmp(key, "--api-tokens") == 0) {
            options->api_tokens_file = value;
        } else if (strcmp(key, "--measure") == 0) {
            options->measure = value;
        } else if (strcmp(key, "--management-network") == 0) {
            char *end;
            options->management_network = strtoul(value, &end, 10);
            if (*end != '\0' || options->management_network < 1 || options->management_network > 4095) {
                fprintf(stderr, "agent: --management-network %s is not a network id 1..4095\n", value);
                return false;
            }
        } else if (strcmp(key, "--images") == 0 || strcmp(key, "--vm-memory") == 0) {
            if (!parse_size(value, key[2] == 'i' ? &options->image_bytes : &options->vm_memory_bytes)) {
                fprintf(stderr, "agent: %s %s is not a size (<n>[K|M|G])\n", key, value);
                return false;
            }
        } else {
            fprintf(stderr, "agent: unknown option %s\n", key);
            return false;
        }
    }
    if (!options->host_name || !options->switch_port || !options->has_mac || !options->has_address ||
        (options->api_port && (!options->image_bytes || !options->vm_memory_bytes)) ||
        ((options->api_tokens_file || options->measure) && !options->api_port)) {
        fprintf(stderr, "agent: usage: agent --host-name <name> --switch-port <region>:<switch app> --mac <mac> "
                        "--address <a.b.c.d>/<bits> [--exit-after <connections>] [--sink-port <port>] "
                        "[--api-port <port> --images <size> --vm-memory <size> [--management-network <id>] "
                        "[--api-tokens <file>] [--measure <file>[,<file>...]]] [--uplink-networks <id>[,<id>...]]\n");
        return false;
    }
    return true;
}

/* "<region>:<switch app>": end 1 of the link to the switch. */
static const char *open_switch_port(char *text)
{
    char *colon = strchr(text, ':');
    if (!colon || colon == text || colon[1] == '\0') {
        return "--switch-port is not <shared region>:<switch app>";
    }
    *colon = '\0';
    return frame_link_open(&switch_link, text, SWITCH_END, colon + 1);
}

static bool transmit_to_switch(void *context, const uint8_t *bytes, size_t length)
{
    (void)context;
    if (frame_ring_push(&switch_link.out, bytes, length) != FRAME_RING_OK) {
        return false; /* full (TCP sends again) or broken */
    }
    frame_link_wake(&switch_link);
    return true;
}

/* Hands every frame the switch has for us to lwIP; true if there was one. */
static bool receive_from_switch(void)
{
    bool any = false;
    size_t length;
    while (frame_ring_peek(&switch_link.in, frame, sizeof(frame), &length) == FRAME_RING_OK) {
        frame_ring_consume(&switch_link.in);
        net_interface_input(&interface, frame, length);
        any = true;
    }
    return any;
}

static uint64_t uptime_seconds(void *context)
{
    (void)context;
    struct timeval now;
    return gettimeofday(&now, NULL) == 0 && now.tv_sec >= start_seconds ? (uint64_t)(now.tv_sec - start_seconds) : 0;
}

int main(int argc, char **argv)
{
    struct options options;
    if (!parse_options(argc, argv, &options)) {
        return 1;
    }
    const char *problem = open_switch_port(options.switch_port);
    if (problem) {
        fprintf(stderr, "agent: %s\n", problem);
        return 1;
    }
    struct timeval now;
    gettimeofday(&now, NULL);
    start_seconds = now.tv_sec;
    struct net_interface_config config = {
        .dhcp = false,
        .address = options.address,
        .netmask = options.netmask,
        .transmit = transmit_to_switch,
    };
    memcpy(config.mac, options.mac, sizeof(config.mac));
    static struct health_service health;
    health = (struct health_service){.host_name = options.host_name, .uptime_seconds = uptime_seconds};
    if (!net_interface_add(&interface, &config) || !health_service_start(&health, HEALTH_SERVICE_PORT, NULL)) {
        fprintf(stderr, "agent: lwIP refused the interface or the health service's port\n");
        return 1;
    }
    printf("agent %s: %s, health check on TCP port %d\n", options.host_name, ip4addr_ntoa(&options.address),
           HEALTH_SERVICE_PORT);
    static struct sink_service sink;
    if (options.sink_port) {
        if (!sink_service_start(&sink, (uint16_t)options.sink_port, NULL)) {
            fprintf(stderr, "agent: lwIP refused the sink's port %lu\n", options.sink_port);
            return 1;
        }
        printf("agent %s: sink on TCP port %lu\n", options.host_name, options.sink_port);
    }
    if (options.has_uplink_policy) {
        char reason[SWITCH_CONTROL_REASON_SIZE];
        unsigned uplinks = 0;
        enum error error = switch_uplink_policy(capability_named("peer:switch"), options.uplink_networks,
                                                options.uplink_network_count, &uplinks, reason, sizeof(reason));
        if (error != ERROR_NONE) {
            fprintf(stderr, "agent: the switch refused the uplink policy: %s\n", reason);
            return 1;
        }
        printf("agent %s: %u networks share the switch's %u uplink port(s)\n", options.host_name,
               (unsigned)options.uplink_network_count, uplinks);
    }
    if (options.api_port) {
        struct api_endpoint_config api = {
            .port = (uint16_t)options.api_port,
            .host_name = options.host_name,
            .image_bytes = options.image_bytes,
            .vm_memory_bytes = options.vm_memory_bytes,
            .start_seconds = (uint64_t)start_seconds,
            .management_network = (uint32_t)options.management_network,
            .api_tokens_file = options.api_tokens_file,
            .measure = options.measure,
            .uplink_networks = options.uplink_networks,
            .uplink_network_count = options.uplink_network_count,
        };
        problem = api_endpoint_start(&api);
        if (problem) {
            fprintf(stderr, "agent: the API: %s\n", problem);
            return 1;
        }
        printf("agent %s: gRPC API on TCP port %lu, %s\n", options.host_name, options.api_port,
               options.api_tokens_file ? "calls authenticated by the tokens of --api-tokens"
                                       : "without authentication: every client acts for every tenant");
    }
    uint64_t sink_reported = 0;
    while (!options.exit_after || health.answered < options.exit_after) {
        bool moved = receive_from_switch();
        if (sink.answered != sink_reported) {
            sink_reported = sink.answered;
            printf("agent %s: sink received %llu bytes\n", options.host_name, (unsigned long long)sink.last_bytes);
        }
        uint32_t wait = net_interface_poll(&interface);
        if (options.api_port) {
            uint64_t api_wait = api_endpoint_poll();
            wait = api_wait < wait ? (uint32_t)api_wait : wait;
        }
        if (!moved) {
            wait = wait < IDLE_WAIT_MAX_MS ? wait : IDLE_WAIT_MAX_MS;
            struct invoke_result received = ipc_wait(TIMEOUTS(0, wait ? wait : 1));
            /* The switch's wakeups carry nothing; the launch service's messages are the API's uvmms. */
            if (received.error == ERROR_NONE && options.api_port) {
                api_endpoint_receive(received.label, received.tag);
            }
        }
    }
    /* Let the last answer and its close go out before the port closes. */
    for (int round = 0; round < 100 && (receive_from_switch() || round < 50); round++) {
        net_interface_poll(&interface);
        ipc_wait(TIMEOUTS(0, IDLE_WAIT_MAX_MS));
    }
    frame_link_close(&switch_link);
    printf("agent %s: answered %llu health checks\n", options.host_name, (unsigned long long)health.answered);
    return 0;
}

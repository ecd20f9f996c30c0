#include "api_endpoint.h"

#include "agent_api.h"
#include "api_tokens.h"
#include "grpc_transport.h"
#include "page_memory.h"
#include "uvmm_launcher.h"

#include <kapsel/grpc_server.h>
#include <kapsel/launcher.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define KAPSEL_VERSION "0.7.0"
#define UVMM_IMAGE "uvmm.elf"
#define FIRST_UVMM_SLOT 64 /* the agent's capability slots from here on hold its uvmms' task and control gate */
#define MAX_IMAGE_BYTES (512ull << 20)
#define IMAGES_PER_STORE 4 /* the largest image is a quarter of the store: room for kernel, initrd and disks */

/* Large: in .bss, not on the stack. The methods point at api, so all of it stays where it is. */
static struct image_store images;
static struct vm_registry registry;
static struct uvmm_launcher launcher;
static struct agent_api api;
static struct api_tokens tokens;
static struct tenant_networks networks;
static struct attestation_key attestation_key;
static char vmm_sha256[IMAGE_SHA256_HEX_LENGTH + 1];
static struct host_component host_components[ATTESTATION_HOST_COMPONENTS_MAX];
static size_t host_component_count;
static struct grpc_server *server;
static struct grpc_transport transport;
static struct api_endpoint_config endpoint;
static uint64_t launcher_slot;

static uint64_t unix_ms(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000;
}

static uint64_t unix_ms_of(void *context)
{
    (void)context;
    return unix_ms();
}

static void host_facts(void *context, struct host_facts *facts)
{
    (void)context;
    struct launch_host_memory memory = {0};
    launcher_host_memory(launcher_slot, &memory);
    uint64_t now_seconds = unix_ms() / 1000;
    *facts = (struct host_facts){
        .name = endpoint.host_name,
        .version = KAPSEL_VERSION,
        .architecture = "x86_64",
        .cpus = 1, /* the kernel schedules on the boot CPU only */
        .memory_total_bytes = memory.total_bytes,
        .memory_free_bytes = memory.free_bytes,
        .uptime_seconds = now_seconds > endpoint.start_seconds ? now_seconds - endpoint.start_seconds : 0,
    };
}

/* The token file among the agent's files into tokens; NULL, or why not. */
static const char *read_tokens(const char *file, char problem[], size_t size)
{
    const void *text;
    uint64_t length;
    if (!environment_file(file, &text, &length)) {
        snprintf(problem, size, "--api-tokens: %s is not one of the agent's files (the manifest's file lines)", file);
        return problem;
    }
    struct api_error error;
    if (api_tokens_parse(&tokens, text, (size_t)length, &error) != API_STATUS_OK) {
        snprintf(problem, size, "--api-tokens %s: %s", file, error.message);
        return problem;
    }
    return NULL;
}

static bool hardware_random(void *context, uint8_t *bytes, size_t length)
{
    (void)context;
    runtime_entropy_fill(bytes, length);
    return true;
}

/* The attestation key, from the processor's random source; NULL (and a line saying why) without one. */
static struct attestation_key *make_attestation_key(void)
{
    struct api_error error;
    if (!runtime_entropy_available()) {
        printf("agent: no attestation key: the processor has no hardware random source (RDRAND)\n");
        return NULL;
    }
    if (attestation_key_generate(&attestation_key, hardware_random, NULL, &error) != API_STATUS_OK) {
        printf("agent: no attestation key: %s\n", error.message);
        return NULL;
    }
    char fingerprint[IMAGE_SHA256_HEX_LENGTH + 1];
    image_sha256_hex(attestation_key.public_key, sizeof(attestation_key.public_key), fingerprint);
    printf("agent: attestation key made, SHA-256 of its public key %.16s...\n", fingerprint);
    return &attestation_key;
}

/* The SHA-256 (hex) of the agent's file name (the manifest's "file <name>"); false if it has none. */
static bool measure_file(const char *name, char sha256[IMAGE_SHA256_HEX_LENGTH + 1])
{
    const void *bytes;
    uint64_t size;
    if (!environment_file(name, &bytes, &size)) {
        return false;
    }
    image_sha256_hex(bytes, (size_t)size, sha256);
    return true;
}

/* The uvmm image's SHA-256, if the agent holds it as a file too (the manifest's "file uvmm.elf"); else NULL. */
static const char *measure_uvmm(void)
{
    if (!measure_file(UVMM_IMAGE, vmm_sha256)) {
        printf("agent: attestation evidence names no uvmm image: %s is not one of the agent's files\n", UVMM_IMAGE);
        return NULL;
    }
    return vmm_sha256;
}

/* --measure: each named file of the agent's into host_components; NULL, or why not. */
static const char *measure_host_components(const char *list, char problem[], size_t size)
{
    host_component_count = 0;
    for (const char *next = list; next && *next;) {
        size_t length = strcspn(next, ",");
        if (length == 0 || length > ATTESTATION_COMPONENT_NAME_MAX ||
            host_component_count == ATTESTATION_HOST_COMPONENTS_MAX) {
            snprintf(problem, size, "--measure: not <file>[,<file>...] of at most %d names of 1 to %d bytes",
                     ATTESTATION_HOST_COMPONENTS_MAX, ATTESTATION_COMPONENT_NAME_MAX);
            return problem;
        }
        struct host_component *component = &host_components[host_component_count];
        memcpy(component->name, next, length);
        component->name[length] = '\0';
        if (!measure_file(component->name, component->sha256)) {
            snprintf(problem, size, "--measure: %s is not one of the agent's files (the manifest's file lines)",
                     component->name);
            return problem;
        }
        host_component_count++;
        next += length + (next[length] == ',');
    }
    return NULL;
}

const char *api_endpoint_start(const struct api_endpoint_config *config)
{
    static char problem[256];
    endpoint = *config;
    if (config->api_tokens_file && read_tokens(config->api_tokens_file, problem, sizeof(problem))) {
        return problem;
    }
    if (measure_host_components(config->measure, problem, sizeof(problem))) {
        return problem;
    }
    launcher_slot = capability_named("launcher");
    if (!launcher_slot) {
        return "no launcher capability (the manifest's capability launcher memory=<size>)";
    }
    struct unix_clock clock = {.now_ms = unix_ms_of};
    struct image_store_config store_config = {
        .max_image_bytes = config->image_bytes / IMAGES_PER_STORE < MAX_IMAGE_BYTES
                               ? config->image_bytes / IMAGES_PER_STORE
                               : MAX_IMAGE_BYTES,
        .max_total_bytes = config->image_bytes,
        .allocator = {.allocate = page_memory_allocate, .release = page_memory_release},
        .clock = clock,
    };
    struct api_error error;
    if (image_store_init(&images, &store_config, &error) != API_STATUS_OK) {
        snprintf(problem, sizeof(problem), "the image store: %s", error.message);
        return problem;
    }
    uint32_t reserved[TENANT_NETWORKS_RESERVED_MAX] = {config->management_network};
    size_t reserved_count = 1;
    for (size_t i = 0; i < config->uplink_network_count && reserved_count < TENANT_NETWORKS_RESERVED_MAX; i++) {
        reserved[reserved_count++] = config->uplink_networks[i];
    }
    tenant_networks_init(&networks, reserved, reserved_count);
    uvmm_launcher_init(&launcher, &(struct uvmm_launcher_config){
                                      .launcher = launcher_slot,
                                      .switch_gate = capability_named("peer:switch"),
                                      .management_network = config->management_network,
                                      .networks = &networks,
                                      .first_free_slot = FIRST_UVMM_SLOT,
                                      .uvmm_image = UVMM_IMAGE,
                                      .registry = &registry,
                                      .images = &images,
                                      .now_ms = unix_ms,
                                  });
    struct vm_registry_config registry_config = {
        .memory_limit_bytes = config->vm_memory_bytes,
        .backend = {.start = uvmm_launcher_start, .stop = uvmm_launcher_stop, .context = &launcher},
        .clock = clock,
        .images = &images,
    };
    if (vm_registry_init(&registry, &registry_config, &error) != API_STATUS_OK) {
        snprintf(problem, sizeof(problem), "the VM registry: %s", error.message);
        return problem;
    }
    image_store_set_users(&images, vm_registry_image_users(&registry));
    struct agent_api_config api_config = {
        .registry = &registry,
        .images = &images,
        .host_facts = host_facts,
        .attestation_key = make_attestation_key(),
        .vmm_sha256 = measure_uvmm(),
        .host_components = host_components,
        .host_component_count = host_component_count,
    };
    if (agent_api_init(&api, &api_config, &error) != API_STATUS_OK) {
        snprintf(problem, sizeof(problem), "the services: %s", error.message);
        return problem;
    }
    size_t count;
    const struct grpc_method *methods = agent_api_methods(&api, &count);
    server = grpc_server_create(&(struct grpc_server_config){
        .methods = methods,
        .method_count = count,
        .clock_ms = unix_ms_of,
        .authenticate = config->api_tokens_file ? api_tokens_authenticate : NULL,
        .authenticate_context = &tokens,
    });
    if (!server) {
        return "lib/grpc refused the method table or is out of memory";
    }
    if (!grpc_transport_start(&transport, server, config->port)) {
        return "lwIP refused the API's port";
    }
    return NULL;
}

uint64_t api_endpoint_poll(void)
{
    uint64_t now = unix_ms();
    grpc_transport_poll(&transport, now);
    uint64_t wait = uvmm_launcher_tick(&launcher, now);
    uint64_t deadline = grpc_transport_next_deadline_ms(&transport);
    if (deadline != GRPC_NO_DEADLINE) {
        uint64_t until = deadline > now ? deadline - now : 0;
        wait = until < wait ? until : wait;
    }
    return wait;
}

bool api_endpoint_receive(uint64_t label, uint64_t tag)
{
    return uvmm_launcher_receive(&launcher, label, tag);
}

/*
 * Kapsel's C client: a synchronous API over gRPC core (libgrpc) for the management API of the .proto files of
 * api/kapsel/v1.
 *
 * Messages are protobuf-c's, generated from the protos ("kapsel/v1/vm_service.pb-c.h" and the others): requests are
 * built by the caller (KAPSEL__V1__GET_VM_REQUEST__INIT, then the fields), answers are allocated by the library and
 * freed by the caller with the message's free_unpacked(message, NULL) (or protobuf_c_message_free_unpacked).
 *
 * Every call returns its status code (KAPSEL_OK, 0, or a gRPC status code) and, when status is not NULL, fills it
 * with the code and the host's message. Errors found on this side use the same codes: INVALID_ARGUMENT for a bad
 * argument, UNAVAILABLE when the host cannot be reached, DEADLINE_EXCEEDED at the call's deadline, INTERNAL for an
 * answer that does not decode, RESOURCE_EXHAUSTED when memory runs out, NOT_FOUND or PERMISSION_DENIED for a local
 * file that cannot be read; and one code that is not gRPC's, KAPSEL_ATTESTATION_INVALID, for evidence that does not
 * verify (kapsel_vm_attest).
 *
 * Retries: the idempotent calls below are retried on UNAVAILABLE with exponential backoff within their deadline
 * (struct kapsel_retry_policy): GetVm, ListVms, GetImage, ListImages, GetHostInfo, Health, DeleteVm, DeleteImage and
 * AttestVm.
 * A delete whose first attempt took effect on the host before the connection broke answers NOT_FOUND on the retry.
 * CreateVm, StartVm, StopVm, UploadImage, WatchVms and StreamConsole are tried once.
 *
 * Authentication: a host started with API tokens wants one on every call but Health. The client's token
 * (kapsel_client_options.token) goes with each call as the header "authorization: Bearer <token>"; the host answers
 * UNAUTHENTICATED without a token it knows, and PERMISSION_DENIED when the token's tenant may not do what is asked.
 * The API has no TLS yet: the token travels in clear text, readable by anyone on the path to the host.
 *
 * Threads: a client may be used by several threads at once; a stream by one thread at a time.
 */
#ifndef KAPSEL_CLIENT_H
#define KAPSEL_CLIENT_H

#include "kapsel/v1/attestation_service.pb-c.h"
#include "kapsel/v1/host_service.pb-c.h"
#include "kapsel/v1/image_service.pb-c.h"
#include "kapsel/v1/vm_service.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* gRPC's status codes. */
enum kapsel_code {
    KAPSEL_OK = 0,
    KAPSEL_CANCELLED = 1,
    KAPSEL_UNKNOWN = 2,
    KAPSEL_INVALID_ARGUMENT = 3,
    KAPSEL_DEADLINE_EXCEEDED = 4,
    KAPSEL_NOT_FOUND = 5,
    KAPSEL_ALREADY_EXISTS = 6,
    KAPSEL_PERMISSION_DENIED = 7,
    KAPSEL_RESOURCE_EXHAUSTED = 8,
    KAPSEL_FAILED_PRECONDITION = 9,
    KAPSEL_ABORTED = 10,
    KAPSEL_OUT_OF_RANGE = 11,
    KAPSEL_UNIMPLEMENTED = 12,
    KAPSEL_INTERNAL = 13,
    KAPSEL_UNAVAILABLE = 14,
    KAPSEL_DATA_LOSS = 15,
    KAPSEL_UNAUTHENTICATED = 16,
    /* Not gRPC's: found here, never sent by a host. The host answered AttestVm, and what it answered does not verify
     * (the message says which check failed). */
    KAPSEL_ATTESTATION_INVALID = 100,
};

#define KAPSEL_STATUS_MESSAGE_BYTES 512

struct kapsel_status {
    int code; /* enum kapsel_code */
    char message[KAPSEL_STATUS_MESSAGE_BYTES];
};

/* "NOT_FOUND" for KAPSEL_NOT_FOUND, "ATTESTATION_INVALID" for KAPSEL_ATTESTATION_INVALID; "UNKNOWN_CODE" for a
 * number outside these. */
const char *kapsel_code_name(int code);

/* Retries of the idempotent calls on UNAVAILABLE: the n-th retry waits
 * min(initial_backoff_ms * multiplier^(n-1), max_backoff_ms), less up to jitter_percent of it at random. */
struct kapsel_retry_policy {
    uint32_t max_attempts; /* 1: no retry */
    uint32_t initial_backoff_ms;
    uint32_t max_backoff_ms;
    uint32_t multiplier;
    uint32_t jitter_percent; /* 0 to 100 */
};

/* The defaults: 4 attempts, 100 ms, 2 s, x2, 20 %. */
#define KAPSEL_RETRY_POLICY_DEFAULT                                                                                    \
    {                                                                                                                  \
        .max_attempts = 4, .initial_backoff_ms = 100, .max_backoff_ms = 2000, .multiplier = 2, .jitter_percent = 20    \
    }

struct kapsel_client_options {
    /* Deadline of a unary call or upload whose kapsel_call_options give none; 0: 30 s. Streams have none. */
    uint32_t default_timeout_ms;
    struct kapsel_retry_policy retry;
    /* Honour http_proxy/https_proxy/no_proxy from the environment (gRPC's default); off unless set. */
    bool use_http_proxy;
    /* The API token every call sends (kapsel_token_valid; copied by kapsel_client_connect); NULL or "": none. */
    const char *token;
};

#define KAPSEL_CLIENT_OPTIONS_DEFAULT                                                                                  \
    {                                                                                                                  \
        .default_timeout_ms = 30000, .retry = KAPSEL_RETRY_POLICY_DEFAULT, .use_http_proxy = false, .token = NULL      \
    }

/* The longest API token, in bytes. */
#define KAPSEL_TOKEN_MAX_BYTES 512

/* Whether token has the form of an API token: 1 to KAPSEL_TOKEN_MAX_BYTES bytes of visible ASCII (0x21 to 0x7e). */
bool kapsel_token_valid(const char *token);

/* A call's timeout_ms for no deadline at all. */
#define KAPSEL_NO_DEADLINE UINT32_MAX

struct kapsel_call_options {
    /* The deadline in ms from the call's start, covering every attempt; KAPSEL_NO_DEADLINE for none; 0: the
     * client's default_timeout_ms for a unary call or an upload, none for a stream. */
    uint32_t timeout_ms;
};

struct kapsel_client;

/* A client of the host at address ("host:port", gRPC target syntax, plaintext HTTP/2). Connects lazily: an
 * unreachable host shows at the first call (UNAVAILABLE). options NULL: KAPSEL_CLIENT_OPTIONS_DEFAULT. A token that is
 * not kapsel_token_valid is INVALID_ARGUMENT (the message does not repeat it). */
int kapsel_client_connect(const char *address, const struct kapsel_client_options *options,
                          struct kapsel_client **client, struct kapsel_status *status);

/* Closes the connection; the client's streams must be closed before. NULL is ignored. */
void kapsel_client_close(struct kapsel_client *client);

const char *kapsel_client_address(const struct kapsel_client *client);

/* --- VmService. call_options may be NULL everywhere: the client's defaults. --- */

int kapsel_create_vm(struct kapsel_client *client, const Kapsel__V1__CreateVmRequest *request,
                     const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status);
int kapsel_start_vm(struct kapsel_client *client, const Kapsel__V1__StartVmRequest *request,
                    const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status);
int kapsel_stop_vm(struct kapsel_client *client, const Kapsel__V1__StopVmRequest *request,
                   const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status);
int kapsel_delete_vm(struct kapsel_client *client, const Kapsel__V1__DeleteVmRequest *request,
                     const struct kapsel_call_options *call_options, struct kapsel_status *status);
int kapsel_get_vm(struct kapsel_client *client, const Kapsel__V1__GetVmRequest *request,
                  const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status);
/* One page; see kapsel_list_all_vms for every page. */
int kapsel_list_vms(struct kapsel_client *client, const Kapsel__V1__ListVmsRequest *request,
                    const struct kapsel_call_options *call_options, Kapsel__V1__ListVmsResponse **response,
                    struct kapsel_status *status);

/* --- ImageService. --- */

/* Called after each chunk the transport took, and once with sent_bytes 0 before the first; false cancels the upload
 * (CANCELLED). */
typedef bool (*kapsel_upload_progress_fn)(void *context, uint64_t sent_bytes, uint64_t total_bytes);

struct kapsel_upload_options {
    const char *display_name;           /* NULL or empty: none */
    size_t chunk_bytes;                 /* 1 byte to 1 MiB (KAPSEL_UPLOAD_CHUNK_MAX); 0: 1 MiB */
    kapsel_upload_progress_fn progress; /* NULL: none */
    void *progress_context;
};

#define KAPSEL_UPLOAD_CHUNK_MAX (1024u * 1024u)

/* Uploads size bytes at data: computes their SHA-256, sends the header and the content in chunks. */
int kapsel_upload_image_buffer(struct kapsel_client *client, const void *data, size_t size,
                               const struct kapsel_upload_options *upload_options,
                               const struct kapsel_call_options *call_options, Kapsel__V1__Image **image,
                               struct kapsel_status *status);
/* The same from a file: read once for the SHA-256, once to send (a file that changes between fails the upload). */
int kapsel_upload_image_file(struct kapsel_client *client, const char *path,
                             const struct kapsel_upload_options *upload_options,
                             const struct kapsel_call_options *call_options, Kapsel__V1__Image **image,
                             struct kapsel_status *status);
int kapsel_get_image(struct kapsel_client *client, const Kapsel__V1__GetImageRequest *request,
                     const struct kapsel_call_options *call_options, Kapsel__V1__Image **image,
                     struct kapsel_status *status);
int kapsel_list_images(struct kapsel_client *client, const Kapsel__V1__ListImagesRequest *request,
                       const struct kapsel_call_options *call_options, Kapsel__V1__ListImagesResponse **response,
                       struct kapsel_status *status);
int kapsel_delete_image(struct kapsel_client *client, const Kapsel__V1__DeleteImageRequest *request,
                        const struct kapsel_call_options *call_options, struct kapsel_status *status);

/* The content's SHA-256 as lowercase hex, the form of an image's name ("images/<hex>"). */
#define KAPSEL_SHA256_HEX_BYTES 65
int kapsel_sha256_file(const char *path, char hex[KAPSEL_SHA256_HEX_BYTES], uint64_t *size,
                       struct kapsel_status *status);
/* The same of size bytes at data (size 0: the SHA-256 of nothing), e.g. to compare a command line with evidence. */
int kapsel_sha256_buffer(const void *data, size_t size, char hex[KAPSEL_SHA256_HEX_BYTES],
                         struct kapsel_status *status);

/* --- HostService. --- */

/* (*info)->attestation_public_key: the key the host signs attestation evidence with, KAPSEL_ATTESTATION_KEY_BYTES
 * bytes (none from an agent without attestation), to pin for kapsel_vm_attest. */
int kapsel_get_host_info(struct kapsel_client *client, const struct kapsel_call_options *call_options,
                         Kapsel__V1__HostInfo **info, struct kapsel_status *status);
int kapsel_health(struct kapsel_client *client, const struct kapsel_call_options *call_options,
                  Kapsel__V1__HealthResponse **response, struct kapsel_status *status);

/* --- AttestationService. ---
 *
 * The host signs evidence about a VM (what it boots, its resources, the uvmm that runs it) together with a nonce the
 * caller chose. Trust: the key is the host's agent's, made at each start of the host, with no hardware root of trust
 * behind it: the evidence is as trustworthy as the agent. Pin the key (HostInfo.attestation_public_key, obtained over
 * a channel you trust) by passing it as expected_public_key. */

/* An attestation key: an uncompressed SEC1 point of NIST P-256, 0x04 then X and Y. */
#define KAPSEL_ATTESTATION_KEY_BYTES 65
/* The sizes of nonce the host takes. */
#define KAPSEL_ATTESTATION_NONCE_MIN 16
#define KAPSEL_ATTESTATION_NONCE_MAX 64
/* The evidence format this library verifies (VmEvidence.version). */
#define KAPSEL_ATTESTATION_VERSION 1

/* Verified evidence: every field of VmEvidence (host_name, vm_name, tenant, state, nonce, time_unix_ms,
 * kernel_sha256, initrd_sha256, command_line_sha256, disks, vmm_sha256, vmm_launch_spec, memory_mib, vcpus,
 * network_id, root_of_trust, host_components) in evidence, and the host's answer as sent in response: the signed bytes
 * (response->evidence), the signature and the public key that made it (response->public_key, 65 bytes). */
struct kapsel_attestation {
    Kapsel__V1__VmEvidence *evidence;
    Kapsel__V1__AttestVmResponse *response;
};

/* AttestVm for name ("vms/{id}") with the caller's nonce (fresh, KAPSEL_ATTESTATION_NONCE_MIN to _MAX bytes; the host
 * answers INVALID_ARGUMENT for another size), then kapsel_attestation_verify. KAPSEL_OK only for evidence that
 * verifies; then *attestation holds it (free with kapsel_attestation_free), else it is empty.
 * expected_public_key: NULL, or the KAPSEL_ATTESTATION_KEY_BYTES bytes of the host's key as pinned. */
int kapsel_vm_attest(struct kapsel_client *client, const char *name, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *expected_public_key, const struct kapsel_call_options *call_options,
                     struct kapsel_attestation *attestation, struct kapsel_status *status);

/* The checks of kapsel_vm_attest on an answer to AttestVm for name and nonce: the key is a P-256 point, the signature
 * (ECDSA with SHA-256, DER) verifies over the evidence bytes with that key, the bytes parse as a VmEvidence of version
 * KAPSEL_ATTESTATION_VERSION about name with nonce, and the key is expected_public_key unless that is NULL. On success
 * *evidence is the parsed evidence (free with kapsel__v1__vm_evidence__free_unpacked); otherwise NULL, and
 * KAPSEL_ATTESTATION_INVALID with a message that begins with the check that failed ("signature: ...", "nonce: ...",
 * "public_key: ..."), or INVALID_ARGUMENT for a bad argument. */
int kapsel_attestation_verify(const Kapsel__V1__AttestVmResponse *response, const char *name, const uint8_t *nonce,
                              size_t nonce_len, const uint8_t *expected_public_key, Kapsel__V1__VmEvidence **evidence,
                              struct kapsel_status *status);

/* Frees what kapsel_vm_attest returned and empties it. NULL is ignored. */
void kapsel_attestation_free(struct kapsel_attestation *attestation);

/* --- Every page of a List, in order. --- */

struct kapsel_vm_list {
    Kapsel__V1__Vm **vms;
    size_t count;
};

struct kapsel_image_list {
    Kapsel__V1__Image **images;
    size_t count;
};

/* Calls ListVms until the last page (request's page_token is ignored); each page is retried like ListVms. On an
 * error the list is empty. */
int kapsel_list_all_vms(struct kapsel_client *client, const Kapsel__V1__ListVmsRequest *request,
                        const struct kapsel_call_options *call_options, struct kapsel_vm_list *list,
                        struct kapsel_status *status);
int kapsel_list_all_images(struct kapsel_client *client, const struct kapsel_call_options *call_options,
                           struct kapsel_image_list *list, struct kapsel_status *status);
/* Frees the messages and empties the list. */
void kapsel_vm_list_free(struct kapsel_vm_list *list);
void kapsel_image_list_free(struct kapsel_image_list *list);

/* --- Server streams: WatchVms and StreamConsole, read as iterators. --- */

struct kapsel_stream;

/* Opens the stream: an error here if the request could not be sent (UNAVAILABLE for an unreachable host); the
 * host's answer, its messages or its refusal as the final status, comes with kapsel_stream_next. */
int kapsel_watch_vms(struct kapsel_client *client, const Kapsel__V1__WatchVmsRequest *request,
                     const struct kapsel_call_options *call_options, struct kapsel_stream **stream,
                     struct kapsel_status *status);
int kapsel_stream_console(struct kapsel_client *client, const Kapsel__V1__StreamConsoleRequest *request,
                          const struct kapsel_call_options *call_options, struct kapsel_stream **stream,
                          struct kapsel_status *status);

/* Waits for the next message: true with *message (a Kapsel__V1__VmEvent of WatchVms, a Kapsel__V1__ConsoleChunk of
 * StreamConsole; free it with protobuf_c_message_free_unpacked(*message, NULL)); false at the stream's end, with
 * the final status in status (KAPSEL_OK: the host ended it normally). */
bool kapsel_stream_next(struct kapsel_stream *stream, ProtobufCMessage **message, struct kapsel_status *status);

/* Cancels the stream if it has not ended, and frees it. NULL is ignored. */
void kapsel_stream_close(struct kapsel_stream *stream);

#ifdef __cplusplus
}
#endif

#endif

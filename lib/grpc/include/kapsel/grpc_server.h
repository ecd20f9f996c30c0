/*
 * A gRPC server core over nghttp2 (//build/bazel/nghttp2), independent of how bytes move: the program owns the
 * transport (lwIP's TCP in the agent, POSIX sockets in host tests), feeds each connection the bytes it received
 * (grpc_connection_receive) and pulls the bytes to send into its own buffer, as much as it can take at a time
 * (grpc_connection_output). Services are callbacks in a method table, looked up by full path
 * ("/kapsel.v1.VmService/GetVm"); they answer with grpc_call_send_message and grpc_call_finish, during a callback or
 * at any time later (a server stream stays open for as long as the service wants).
 *
 * Single-threaded: one thread calls everything here. Callbacks run inside grpc_connection_receive, grpc_connection_tick
 * and grpc_connection_destroy (on_cancel also inside grpc_connection_output and grpc_connection_wants_output, when a
 * stream is reset while they serialise), and must not call those for their own connection. No system calls,
 * no global state: memory comes from malloc/free (newlib's in a Micro-App), time from the program (a clock callback
 * and grpc_connection_tick).
 *
 * A call's life, as the service sees it: it is handed the call by its first callback (on_request, on_message or
 * on_half_close) and owns it until either the service calls grpc_call_finish or the layer calls on_cancel (the peer
 * reset the stream, the connection went away, the deadline passed, or the client broke the call's rules, e.g. a
 * request message over the limit). After either, the call pointer is invalid. Exactly one of the two happens.
 *
 * What the layer answers itself, without the service (trailers-only responses unless said otherwise):
 *   - :method other than POST: HTTP 405; content-type not application/grpc[+...|;...]: HTTP 415 (gRPC's spec, so
 *     that no plain HTTP client takes the answer for success); both also carry grpc-status INTERNAL.
 *   - a :path that no method has: UNIMPLEMENTED.
 *   - with an authenticate callback, a method that is not anonymous whose request the callback refuses (its
 *     authorization header, or none): UNAUTHENTICATED with the callback's reason. The service never sees the call.
 *   - request headers larger than max_header_list_size: RESOURCE_EXHAUSTED.
 *   - a message with the compressed flag (no compression is supported; responses say grpc-accept-encoding:
 *     identity): UNIMPLEMENTED. Any other flag value: INTERNAL.
 *   - a message whose length prefix exceeds the method's max_request_size: RESOURCE_EXHAUSTED, refused when its
 *     five-byte prefix arrives, before anything is buffered.
 *   - the client's half-close in the middle of a message (a truncated prefix or payload): INTERNAL.
 *   - UNARY and SERVER_STREAMING methods take exactly one request message, as grpc-c++ does: none at the half-close
 *     is INTERNAL "No payload" (grpc-c++'s deserializer); a second one is INTERNAL too, when it arrives (grpc-java
 *     and grpc-go; grpc-c++ would ignore it). gRPC's statuscodes.md names UNIMPLEMENTED for such cardinality
 *     violations, but the implementations answer INTERNAL.
 *   - the deadline (grpc-timeout) passing before the service finished: DEADLINE_EXCEEDED, at grpc_connection_tick.
 *     A malformed grpc-timeout is ignored (no deadline), as grpc-core does.
 * When the response ends before the client's half-close (any of the above, or a service that finishes early), the
 * stream is then reset with NO_ERROR, which tells the client to stop sending (RFC 9113, section 8.1). Malformed
 * HTTP/2 makes nghttp2 send GOAWAY and the connection finish; other connections are not affected.
 */
#ifndef KAPSEL_GRPC_SERVER_H
#define KAPSEL_GRPC_SERVER_H

#include <kapsel/grpc_status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes and limits used when a configuration leaves them 0. */
#define GRPC_DEFAULT_MAX_REQUEST_SIZE (4u * 1024 * 1024) /* gRPC's default receive limit */
#define GRPC_DEFAULT_SEND_QUEUE_LIMIT (64u * 1024)
#define GRPC_DEFAULT_MAX_CONCURRENT_STREAMS 100u
#define GRPC_DEFAULT_MAX_HEADER_LIST_SIZE (16u * 1024)

/* A call's deadline when the client gave none. */
#define GRPC_NO_DEADLINE UINT64_MAX

/* The bytes before every message on the wire: the compressed flag and a 32-bit big-endian length. */
#define GRPC_MESSAGE_PREFIX_SIZE 5u

enum grpc_result {
    GRPC_RESULT_OK = 0,
    GRPC_RESULT_INVALID_ARGUMENT, /* e.g. a status code outside 0..16 */
    GRPC_RESULT_OUT_OF_MEMORY,
    GRPC_RESULT_QUEUE_FULL,        /* the message does not fit the call's send queue now */
    GRPC_RESULT_BROKEN_CONNECTION, /* the peer does not speak HTTP/2: close the transport */
    GRPC_RESULT_PROTOCOL_ERROR,    /* nghttp2 refused an operation (e.g. the stream is already gone) */
};

/* A stable, human-readable name of a result ("unknown result" for anything else). */
const char *grpc_result_name(enum grpc_result result);

struct grpc_server;
struct grpc_connection;
struct grpc_call;

enum grpc_method_kind {
    GRPC_METHOD_UNARY,            /* one request, one response message */
    GRPC_METHOD_SERVER_STREAMING, /* one request, any number of response messages */
    GRPC_METHOD_CLIENT_STREAMING, /* any number of request messages, then (by convention) one response */
};

/*
 * Messages handed to callbacks are valid only during the callback (copy what is kept); message is never NULL, also
 * when length is 0.
 */
typedef void (*grpc_message_callback)(struct grpc_call *call, const uint8_t *message, size_t length);
typedef void (*grpc_call_callback)(struct grpc_call *call);

struct grpc_method {
    const char *path; /* "/<package>.<Service>/<Method>" */
    enum grpc_method_kind kind;
    size_t max_request_size;          /* largest request message accepted; 0: GRPC_DEFAULT_MAX_REQUEST_SIZE */
    size_t send_queue_limit;          /* bytes queued per call, prefixes included; 0: GRPC_DEFAULT_SEND_QUEUE_LIMIT */
    grpc_message_callback on_request; /* UNARY, SERVER_STREAMING: the request, at the client's half-close */
    grpc_message_callback on_message; /* CLIENT_STREAMING: each request message as it completes */
    grpc_call_callback on_half_close; /* CLIENT_STREAMING: the client sent its last message */
    grpc_call_callback on_cancel;     /* every kind: the call ended without the service (see above); may be NULL */
    void *context;                    /* the service's, for its callbacks: grpc_call_method(call)->context */
    bool anonymous;                   /* served without authentication (a health check) */
};

/*
 * Decides who a call acts for from its authorization header's value (NULL: the request had none): the principal,
 * which the services read with grpc_call_principal and which must outlive the call, or NULL to refuse the call with
 * *refusal (a static text) as its UNAUTHENTICATED message.
 */
typedef const void *(*grpc_authenticate_callback)(void *context, const char *authorization, const char **refusal);

struct grpc_server_config {
    const struct grpc_method *methods; /* not copied: must outlive the server */
    size_t method_count;
    uint32_t max_concurrent_streams;     /* SETTINGS_MAX_CONCURRENT_STREAMS per connection; 0: the default */
    uint32_t max_header_list_size;       /* SETTINGS_MAX_HEADER_LIST_SIZE, enforced on requests; 0: the default */
    uint64_t (*clock_ms)(void *context); /* a monotonic clock in milliseconds, for grpc-timeout deadlines */
    void *clock_context;
    grpc_authenticate_callback authenticate; /* NULL: every call is served, with no principal */
    void *authenticate_context;
};

/* NULL if out of memory or the configuration is invalid (no clock, a method without its callbacks, a path twice). */
struct grpc_server *grpc_server_create(const struct grpc_server_config *config);

/* Every connection of the server must have been destroyed before. */
void grpc_server_destroy(struct grpc_server *server);

/* A connection whose server preface (SETTINGS) is ready as output; user_data is the program's (e.g. its socket). */
struct grpc_connection *grpc_connection_create(struct grpc_server *server, void *user_data);

/* Cancels (on_cancel) every call the service owns, then frees the connection; its unsent output is lost. */
void grpc_connection_destroy(struct grpc_connection *connection);

void *grpc_connection_user_data(const struct grpc_connection *connection);

/*
 * Processes received bytes (all of them), which may run the services' callbacks. GRPC_RESULT_BROKEN_CONNECTION if
 * the peer broke HTTP/2 beyond an answer (no client preface, a flood nghttp2 refuses): close the transport and
 * destroy the connection. A protocol error that HTTP/2 answers returns GRPC_RESULT_OK: the GOAWAY is then output and
 * the connection finishes. GRPC_RESULT_OUT_OF_MEMORY: the connection cannot go on either.
 */
enum grpc_result grpc_connection_receive(struct grpc_connection *connection, const uint8_t *bytes, size_t length);

/* Copies up to capacity bytes of output into buffer and returns how many; what does not fit stays for the next call. */
size_t grpc_connection_output(struct grpc_connection *connection, uint8_t *buffer, size_t capacity);

/* Whether output is ready now (serialising the next frame if need be, so true means output returns bytes). */
bool grpc_connection_wants_output(struct grpc_connection *connection);

/* The connection is over (GOAWAY sent or received, no stream left) and all its output was taken: close it. */
bool grpc_connection_is_finished(const struct grpc_connection *connection);

/* Ends the calls whose deadline is at or before now_ms with DEADLINE_EXCEEDED (on_cancel if the service has them). */
void grpc_connection_tick(struct grpc_connection *connection, uint64_t now_ms);

/* The earliest deadline of the connection's open calls (GRPC_NO_DEADLINE: none), for the program's next tick. */
uint64_t grpc_connection_next_deadline_ms(const struct grpc_connection *connection);

const struct grpc_method *grpc_call_method(const struct grpc_call *call);

/* What the server's authenticate callback returned for the call; NULL without one or for an anonymous method. */
const void *grpc_call_principal(const struct grpc_call *call);

struct grpc_connection *grpc_call_connection(const struct grpc_call *call);

/* The absolute deadline on the server's clock (now + grpc-timeout at the request's headers), or GRPC_NO_DEADLINE. */
uint64_t grpc_call_deadline_ms(const struct grpc_call *call);

void *grpc_call_user_data(const struct grpc_call *call);

void grpc_call_set_user_data(struct grpc_call *call, void *user_data);

/* The largest message grpc_call_send_message accepts now: the send queue's free space less a message prefix. */
size_t grpc_call_send_queue_free(const struct grpc_call *call);

/*
 * Queues one response message (copied), sending the response headers first if they have not gone yet. The queue
 * drains as the program pulls output and the client's flow-control window allows. GRPC_RESULT_QUEUE_FULL if it does
 * not fit now (nothing queued: the service may retry later, drop the message, or finish the call, e.g. with
 * RESOURCE_EXHAUSTED for a watcher that does not keep up). GRPC_RESULT_PROTOCOL_ERROR: the stream was reset, and
 * on_cancel follows.
 */
enum grpc_result grpc_call_send_message(struct grpc_call *call, const uint8_t *message, size_t length);

/*
 * Ends the call with a status after the queued messages: trailers grpc-status and, if message is neither NULL nor
 * empty, grpc-message (percent-encoded here). The call pointer is invalid afterwards, whatever the result: on an
 * error (a code outside 0..16, no memory, a stream already reset) the stream is reset instead.
 */
enum grpc_result grpc_call_finish(struct grpc_call *call, enum grpc_status_code code, const char *message);

#endif

/*
 * An HTTP/2 client in the same program as a grpc_connection, for tests: an nghttp2 client session whose output is
 * handed to grpc_connection_receive and which receives what grpc_connection_output pulls, in chunks of a chosen size
 * (so that frames cut across pulls are exercised), until neither side has anything more to say. No threads, no
 * sockets, no clock: a test runs the exchange to a standstill and then looks at what each stream received.
 *
 * Request bodies are raw bytes (grpc_test_stream_send), so that tests can send broken framing too;
 * grpc_test_stream_send_message frames one message properly.
 */
#ifndef KAPSEL_GRPC_TEST_CLIENT_H
#define KAPSEL_GRPC_TEST_CLIENT_H

#include <kapsel/grpc_server.h>
#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRPC_TEST_MAX_STREAMS 16
#define GRPC_TEST_TEXT_MAX 512

struct grpc_test_stream {
    int32_t id;
    /* The request body: bytes not yet taken by nghttp2 are outgoing[outgoing_sent..outgoing_length). */
    uint8_t *outgoing;
    size_t outgoing_length;
    size_t outgoing_sent;
    bool outgoing_ended;
    bool outgoing_deferred;
    /* The response. */
    int http_status;                       /* 0 until the response headers came */
    char content_type[GRPC_TEST_TEXT_MAX]; /* of the response headers */
    int grpc_status;                       /* -1 until grpc-status came (trailers or trailers-only) */
    char grpc_message[GRPC_TEST_TEXT_MAX]; /* as on the wire: percent-encoded */
    unsigned header_blocks;                /* HEADERS frames received: 1 for trailers-only, 2 with trailers */
    uint8_t *data;                         /* every DATA byte, prefixes included */
    size_t data_length;
    bool reset_received; /* the server sent RST_STREAM */
    bool closed;
    uint32_t close_error_code; /* NGHTTP2_NO_ERROR for a normal end, else the RST_STREAM's code */
};

struct grpc_test_client {
    nghttp2_session *session;
    struct grpc_connection *connection;
    size_t output_chunk; /* bytes per grpc_connection_output pull */
    struct grpc_test_stream streams[GRPC_TEST_MAX_STREAMS];
    size_t stream_count;
    bool goaway_received;
    uint32_t goaway_error_code;
    enum grpc_result server_result; /* the first grpc_connection_receive failure, else GRPC_RESULT_OK */
};

/* A request's headers; NULL fields are left out, except that method defaults to POST and content_type to
 * application/grpc (pass "" to leave content-type out). */
struct grpc_test_request {
    const char *path;
    const char *method;
    const char *content_type;
    const char *timeout;    /* grpc-timeout */
    const char *extra_name; /* one more header, e.g. a large one */
    const char *extra_value;
};

/*
 * false if nghttp2 could not make the session. output_chunk 0 means 16 KiB. manual_window: received DATA opens the
 * flow-control window again only after nghttp2_session_consume (a client that does not read), instead of at once.
 */
bool grpc_test_client_init(struct grpc_test_client *client, struct grpc_connection *connection, size_t output_chunk,
                           bool manual_window);

void grpc_test_client_release(struct grpc_test_client *client);

/* Submits a request whose body stays open for grpc_test_stream_send; NULL if nghttp2 refused it. */
struct grpc_test_stream *grpc_test_client_start(struct grpc_test_client *client,
                                                const struct grpc_test_request *request);

/* Appends raw body bytes; end half-closes after them. false if out of memory. */
bool grpc_test_stream_send(struct grpc_test_client *client, struct grpc_test_stream *stream, const uint8_t *bytes,
                           size_t length, bool end);

/* Appends one message with its uncompressed prefix; end half-closes after it. */
bool grpc_test_stream_send_message(struct grpc_test_client *client, struct grpc_test_stream *stream,
                                   const uint8_t *message, size_t length, bool end);

/* Resets the stream with CANCEL, as a client that gives up does. */
void grpc_test_stream_cancel(struct grpc_test_client *client, struct grpc_test_stream *stream);

/* Exchanges bytes both ways until neither side has more; false once grpc_connection_receive failed. */
bool grpc_test_client_pump(struct grpc_test_client *client);

/* The index-th response message of the stream (0 first), pointing into its data; false if there is none. */
bool grpc_test_stream_message(const struct grpc_test_stream *stream, size_t index, const uint8_t **message,
                              size_t *length);

/* How many complete response messages the stream received. */
size_t grpc_test_stream_message_count(const struct grpc_test_stream *stream);

#endif

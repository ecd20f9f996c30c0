/* A switch round (switch/port_round.c) over links in plain memory: the per-round budget, fair shares of a destination
 * that a flooding port also sends to, drops counted against the port whose frame was dropped, and closing. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "switch/port_round.h"

#include <stdlib.h>
#include <string.h>

#define PORT_COUNT 4
#define FRAME_BYTES 64
/* A link of two rings of 16 slots each (a power of two that fits). */
#define LINK_BYTES (2 * (FRAME_RING_HEADER_SIZE + 16 * FRAME_RING_SLOT_SIZE))
#define RING_SLOTS 16

enum { FLOODER, SENDER, TARGET, OTHER };

struct fixture {
    struct port ports[SWITCH_MAX_PORTS];
    struct forwarding forwarding;
    struct frame_link peers[PORT_COUNT]; /* each port's other end, as its VM's uvmm holds it */
    void *memory[PORT_COUNT];
    uint8_t frame[FRAME_RING_MAX_FRAME];
};

static struct fixture *f;

static const uint8_t *mac(unsigned port)
{
    static uint8_t macs[PORT_COUNT][6];
    const uint8_t address[6] = {0x52, 0x54, 0, 0, 0, (uint8_t)(0x10 + port)};
    memcpy(macs[port], address, 6);
    return macs[port];
}

/* Ports 0..3 on network 1, each a link over its own memory. */
static int set_up(void **state)
{
    (void)state;
    f = calloc(1, sizeof(*f));
    forwarding_init(&f->forwarding);
    for (unsigned i = 0; i < PORT_COUNT; i++) {
        f->memory[i] = aligned_alloc(64, LINK_BYTES);
        memset(f->memory[i], 0, LINK_BYTES);
        struct port *port = &f->ports[i];
        port->in_use = true;
        assert_null(frame_ring_attach_link(&port->link.out, &port->link.in, f->memory[i], LINK_BYTES, 0));
        assert_null(frame_ring_attach_link(&f->peers[i].out, &f->peers[i].in, f->memory[i], LINK_BYTES, 1));
        assert_true(forwarding_add_port(&f->forwarding, i, 1));
    }
    assert_int_equal(f->ports[0].link.out.slot_count, RING_SLOTS);
    return 0;
}

static int tear_down(void **state)
{
    (void)state;
    for (unsigned i = 0; i < PORT_COUNT; i++) {
        free(f->memory[i]);
    }
    free(f);
    return 0;
}

/* The VM behind port from sends a frame to the one behind port to, its first payload byte tagging it. */
static enum frame_ring_result send(unsigned from, unsigned to, uint8_t tag)
{
    uint8_t bytes[FRAME_BYTES] = {0};
    memcpy(bytes, mac(to), 6);
    memcpy(bytes + 6, mac(from), 6);
    bytes[14] = tag;
    return frame_ring_push(&f->peers[from].out, bytes, sizeof(bytes));
}

/* Frames the VM behind port received, taken off its ring; the tags of those from source counted in *from_source. */
static unsigned receive(unsigned port, unsigned source, unsigned *from_source)
{
    unsigned count = 0;
    *from_source = 0;
    uint8_t bytes[FRAME_RING_MAX_FRAME];
    size_t length;
    while (frame_ring_peek(&f->peers[port].in, bytes, sizeof(bytes), &length) == FRAME_RING_OK) {
        frame_ring_consume(&f->peers[port].in);
        count++;
        *from_source += memcmp(bytes + 6, mac(source), 6) == 0;
    }
    return count;
}

/* Every port says who it is once (flooded), so that each one's address is learned; the floods are taken off. */
static void learn_everyone(void)
{
    for (unsigned i = 0; i < PORT_COUNT; i++) {
        static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        uint8_t bytes[FRAME_BYTES] = {0};
        memcpy(bytes, broadcast, 6);
        memcpy(bytes + 6, mac(i), 6);
        assert_int_equal(frame_ring_push(&f->peers[i].out, bytes, sizeof(bytes)), FRAME_RING_OK);
    }
    assert_true(port_round_serve(f->ports, &f->forwarding, f->frame));
    for (unsigned i = 0; i < PORT_COUNT; i++) {
        unsigned ignored;
        assert_int_equal(receive(i, 0, &ignored), PORT_COUNT - 1);
        f->ports[i] = (struct port){.in_use = true, .link = f->ports[i].link};
    }
}

static void test_a_flood_does_not_crowd_out_another_sender(void **state)
{
    (void)state;
    learn_everyone();
    /* The flooder fills its own ring; what does not fit is refused to its VM, its own loss. */
    unsigned flooded = 0;
    while (send(FLOODER, TARGET, 1) == FRAME_RING_OK) {
        flooded++;
    }
    assert_int_equal(flooded, RING_SLOTS);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(send(SENDER, TARGET, 2), FRAME_RING_OK);
    }
    /* One round; the target's VM reads nothing meanwhile, so its ring fills. */
    assert_true(port_round_serve(f->ports, &f->forwarding, f->frame));
    unsigned from_sender;
    assert_int_equal(receive(TARGET, SENDER, &from_sender), RING_SLOTS);
    assert_int_equal(from_sender, 4);                                /* every frame of the other sender arrived */
    assert_int_equal(f->ports[SENDER].dropped_destination_full, 0);  /* none of its frames was dropped */
    assert_int_equal(f->ports[FLOODER].dropped_destination_full, 4); /* the flood lost its own: 16 in, 12 out */
    assert_int_equal(f->ports[FLOODER].frames_in, RING_SLOTS);
    assert_int_equal(f->ports[TARGET].frames_out, RING_SLOTS);
}

static void test_a_flood_does_not_slow_another_destination(void **state)
{
    (void)state;
    learn_everyone();
    while (send(FLOODER, TARGET, 1) == FRAME_RING_OK) {
    }
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(send(SENDER, OTHER, 2), FRAME_RING_OK);
    }
    assert_true(port_round_serve(f->ports, &f->forwarding, f->frame));
    unsigned from_sender;
    assert_int_equal(receive(OTHER, SENDER, &from_sender), 8);
    assert_int_equal(from_sender, 8);
}

static void test_a_round_takes_at_most_the_budget_from_a_port(void **state)
{
    (void)state;
    /* Larger rings than the budget: 64 slots each way. */
    size_t bytes = 2 * (FRAME_RING_HEADER_SIZE + 64 * FRAME_RING_SLOT_SIZE);
    void *memory = aligned_alloc(64, bytes);
    memset(memory, 0, bytes);
    struct frame_link peer;
    assert_null(frame_ring_attach_link(&f->ports[FLOODER].link.out, &f->ports[FLOODER].link.in, memory, bytes, 0));
    assert_null(frame_ring_attach_link(&peer.out, &peer.in, memory, bytes, 1));
    uint8_t frame_bytes[FRAME_BYTES] = {0};
    memcpy(frame_bytes, mac(OTHER), 6);
    memcpy(frame_bytes + 6, mac(FLOODER), 6);
    for (unsigned i = 0; i < 64; i++) {
        assert_int_equal(frame_ring_push(&peer.out, frame_bytes, sizeof(frame_bytes)), FRAME_RING_OK);
    }
    assert_true(port_round_serve(f->ports, &f->forwarding, f->frame));
    assert_int_equal(f->ports[FLOODER].frames_in, PORT_ROUND_BUDGET);
    assert_true(port_round_serve(f->ports, &f->forwarding, f->frame));
    assert_int_equal(f->ports[FLOODER].frames_in, 2 * PORT_ROUND_BUDGET);
    assert_false(port_round_serve(f->ports, &f->forwarding, f->frame)); /* nothing left anywhere */
    f->ports[FLOODER].in_use = false;                                   /* its memory goes now */
    free(memory);
}

static void test_a_port_is_closed_once_its_last_frame_is_taken(void **state)
{
    (void)state;
    learn_everyone();
    assert_int_equal(send(SENDER, TARGET, 3), FRAME_RING_OK);
    frame_ring_close(&f->peers[SENDER].out);
    assert_false(f->ports[SENDER].closed);
    assert_true(port_round_serve(f->ports, &f->forwarding, f->frame));
    assert_true(f->ports[SENDER].closed);
    unsigned from_sender;
    assert_int_equal(receive(TARGET, SENDER, &from_sender), 1);
    assert_int_equal(from_sender, 1);
    assert_true(f->ports[TARGET].needs_wake);
    assert_false(f->ports[OTHER].needs_wake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_flood_does_not_crowd_out_another_sender, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_flood_does_not_slow_another_destination, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_round_takes_at_most_the_budget_from_a_port, set_up, tear_down),
        cmocka_unit_test_setup_teardown(test_a_port_is_closed_once_its_last_frame_is_taken, set_up, tear_down),
    };
    return cmocka_run_group_tests_name("port_round_test", tests, NULL, NULL);
}

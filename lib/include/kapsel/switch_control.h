/*
 * The switch's control protocol: how a trusted Micro-App (the agent) gives the virtual switch (switch/) a port for a
 * VM it started at runtime, takes it away when the VM has ended, reads a port's counts, and sets which tenant
 * networks share the uplink. A convention between the switch (switch/control.c) and its clients
 * (agent/switch_port.c), not kernel ABI.
 *
 * Who may send. Control messages reach the switch through the gate of the sender's "capability peer:switch"; the
 * gate's label names the sender. The switch takes them only when it was started with --control <app>, and then only
 * from apps of the boot manifest: a label below SWITCH_CONTROL_SENDER_LIMIT (an app's manifest index). A launched
 * app's peer gate carries LAUNCH_LABEL_LAUNCHED_PEER | handle (kapsel/launcher.h): that is a VM's uvmm, a tenant,
 * and its control messages are refused (ERROR_MISSING_RIGHTS). So the boot manifest decides who may change the
 * switch's ports: whoever it gives "peer:switch".
 *
 * Messages are calls; the tag's label is the operation (SWITCH_CONTROL_*; any label outside
 * SWITCH_CONTROL_FIRST_LABEL..SWITCH_CONTROL_LAST_LABEL is a frame-link wakeup, which asks nothing and is not
 * answered). The reply's label is an enum error; a refused request's reply words carry the reason as text ([0]
 * length, [1..] bytes, at most SWITCH_CONTROL_REASON_SIZE - 1). Every request is checked in full before anything
 * changes: the word and item counts exactly, each item's type, rights, order and offset, the sizes, the network ids
 * (SWITCH_NETWORK_MIN..SWITCH_NETWORK_MAX), the port name.
 *
 *   SWITCH_CONTROL_ATTACH  a port on a tenant network, whose link (vmm/net/frame_ring.h) lies in a region the
 *                          sender supplies: the switch is end 0, the port's owner end 1 (a uvmm with
 *                          --net-link <region>:1).
 *                          words: [0] network id, [1] the region's size in bytes, [2..5] the port's name (for the
 *                          switch's counts: 1..31 printable characters, no blanks, NUL-terminated, NUL-padded),
 *                          [6] SWITCH_ATTACH_FLAG_* (no other bits): SWITCH_ATTACH_FLAG_UPLINK makes it an uplink
 *                          (the NIC driver's port, which a supervisor restarts: on the policy's networks as a
 *                          manifest's --uplink is, the last SET_UPLINK_POLICY applied to it too).
 *                          items: [0] ITEM_MEMORY(first page, order, MEMORY_READ | MEMORY_WRITE, 0), offset 0: the
 *                          region, 4096 << order bytes = word [1], SWITCH_PORT_REGION_MIN_SIZE..
 *                          SWITCH_PORT_REGION_MAX_SIZE, aligned to its size in the sender, zeroed, and every page
 *                          of it present (a page the sender never touched is a hole the kernel skips: refused);
 *                          [1] ITEM_CAPABILITY(gate, 0, RIGHT_WRITE, 0), offset 0: a gate that wakes the port's
 *                          owner (for a launched uvmm: a copy of its control gate). Neither may be granted.
 *                          -> [0] the port number.
 *                          ERROR_TOO_MANY when every port is in use.
 *   SWITCH_CONTROL_DETACH  [0] port number of a port attached this way (the manifest's ports stay): the switch
 *                          prints its counts, unmaps the region, drops its copy of the gate and frees the port
 *                          (its number may be given to the next ATTACH). -> the port's last counts, as QUERY.
 *                          ERROR_NOT_FOUND for any other number.
 *   SWITCH_CONTROL_QUERY   [0] port number -> [0] frames in, [1] frames out, [2] its frames dropped at full
 *                          destinations, [3] SWITCH_PORT_FLAG_*, [4] network count, [5..] its network ids.
 *   SWITCH_CONTROL_SET_UPLINK_POLICY
 *                          [0] count (0..SWITCH_UPLINK_MAX_NETWORKS), [1..count] network ids, each once: the tenant
 *                          networks that share the uplink port(s): frames from other networks never reach an
 *                          uplink, and an uplink's frames reach only these networks (0 networks: the uplink is cut
 *                          off). Until then an uplink is on the one network its --uplink argument names.
 *                          -> [0] the number of uplink ports it now applies to. ERROR_NOT_FOUND without an uplink.
 *
 * Receiving the items: before each wait the switch sets its receive windows (kapsel/abi.h: utcb->memory_window,
 * capability_window) to the 1 MiB slot and the capability slot of the port the next ATTACH will get (or a spare pair
 * when every port is taken, so that such a request is answered with a reason), hence both offsets are 0. Items that
 * arrive with anything but an accepted ATTACH are unmapped at once.
 *
 * Wakeups. The switch wakes a runtime port's owner through the gate ATTACH passed with a message of no words and tag
 * label SWITCH_WAKE_LABEL (the frame link's wakeup, vmm/net/frame_link.c): frames wait, or the switch took some. It
 * asks nothing and expects no answer; an owner that also takes requests through that gate (a uvmm's control gate)
 * must let it pass. The control app receives the same message through its own gate from the switch (the switch's
 * "peer:<control app>") while nothing else keeps the switch running: that is how the switch learns it still lives
 * (the send fails with ERROR_PEER_GONE once it has ended, and then the switch ends too, as below).
 *
 * Life. Without --control the switch ends once every port of its arguments has closed. With --control it also stays
 * up while any port attached at runtime remains and while its control app lives; it may then start with no ports.
 * A runtime port whose owner ends without a DETACH stays until the control app detaches it; frames for it are
 * dropped (no longer forwarded once the owner closed its end, or, if it was stopped before it could, counted against
 * their source once its ring is full). If the control app ends first, its memory, and so each such region, is
 * revoked: the switch notices, prints the port's counts and frees it.
 */
#ifndef KAPSEL_SWITCH_CONTROL_H
#define KAPSEL_SWITCH_CONTROL_H

#include <kapsel/launcher.h>

#define SWITCH_CONTROL_ATTACH 0x60ull
#define SWITCH_CONTROL_DETACH 0x61ull
#define SWITCH_CONTROL_QUERY 0x62ull
#define SWITCH_CONTROL_SET_UPLINK_POLICY 0x63ull
#define SWITCH_CONTROL_FIRST_LABEL 0x60ull /* the switch's control operations; labels in this range it answers */
#define SWITCH_CONTROL_LAST_LABEL 0x6full

#define SWITCH_WAKE_LABEL 1ull /* the switch's wakeups: no words, no answer */

/* Gate labels below this are apps of the boot manifest (their manifest index); launched apps' are above. */
#define SWITCH_CONTROL_SENDER_LIMIT (LAUNCH_LABEL_HANDLE_MASK + 1)

#define SWITCH_NETWORK_MIN 1u
#define SWITCH_NETWORK_MAX 4095u
#define SWITCH_UPLINK_MAX_NETWORKS 16u
#define SWITCH_PORT_NAME_SIZE 32u /* 31 characters and a NUL */
/* Two rings of two frames each at least (vmm/net/frame_ring.h): 8 KiB are too few, so 4 KiB pages times 2^2. */
#define SWITCH_PORT_REGION_MIN_SIZE 0x4000ull
#define SWITCH_PORT_REGION_MAX_SIZE 0x100000ull /* APP_SHARED_MAX_SIZE: what a uvmm's shared slot holds */
#define SWITCH_CONTROL_REASON_SIZE 192u         /* reasons are at most 191 bytes */

/* ATTACH: word indices, and the counts the request must have exactly. */
#define SWITCH_ATTACH_NETWORK 0
#define SWITCH_ATTACH_REGION_SIZE 1
#define SWITCH_ATTACH_NAME 2
#define SWITCH_ATTACH_FLAGS (SWITCH_ATTACH_NAME + SWITCH_PORT_NAME_SIZE / 8)
#define SWITCH_ATTACH_WORDS (SWITCH_ATTACH_FLAGS + 1)
#define SWITCH_ATTACH_ITEMS 2

#define SWITCH_ATTACH_FLAG_UPLINK 0x1ull /* the port is an uplink */
#define SWITCH_ATTACH_FLAGS_KNOWN SWITCH_ATTACH_FLAG_UPLINK

/* QUERY's and DETACH's reply: word indices. */
#define SWITCH_PORT_INFO_FRAMES_IN 0
#define SWITCH_PORT_INFO_FRAMES_OUT 1
#define SWITCH_PORT_INFO_DROPPED 2
#define SWITCH_PORT_INFO_FLAGS 3
#define SWITCH_PORT_INFO_NETWORK_COUNT 4
#define SWITCH_PORT_INFO_NETWORKS 5

#define SWITCH_PORT_FLAG_RUNTIME 0x1ull /* attached by ATTACH, not named by the switch's arguments */
#define SWITCH_PORT_FLAG_UPLINK 0x2ull
#define SWITCH_PORT_FLAG_CLOSED 0x4ull /* its owner closed its end (the VM ended) */
#define SWITCH_PORT_FLAG_BROKEN 0x8ull /* its owner corrupted the rings: the switch ignores it */

#endif

/* ICMP echo between the two interfaces of a net_pair, through lwIP's raw API (pair_ping.h). */
#include "pair_ping.h"

#include "lwip/inet_chksum.h"
#include "lwip/pbuf.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"

#include <string.h>

#define PING_ID 0x4b50 /* "KP" */
#define PING_DATA_LENGTH 56

struct ping {
    ip4_addr_t address;
    uint16_t sequence;
    bool replied;
};

static void ping_data(uint8_t *data, uint16_t sequence)
{
    for (size_t i = 0; i < PING_DATA_LENGTH; i++) {
        data[i] = (uint8_t)(sequence + i);
    }
}

/* raw_recv callback: p starts with the IP header. Takes (returns 1) the echo reply it waits for, leaves others. */
static u8_t receive(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *source)
{
    (void)pcb;
    struct ping *ping = arg;
    uint8_t ip_header[IP_HLEN];
    if (!ip4_addr_cmp(ip_2_ip4(source), &ping->address) ||
        pbuf_copy_partial(p, ip_header, sizeof(ip_header), 0) != sizeof(ip_header)) {
        return 0;
    }
    u16_t header_length = IPH_HL_BYTES((struct ip_hdr *)ip_header);
    struct {
        struct icmp_echo_hdr header;
        uint8_t data[PING_DATA_LENGTH];
    } reply;
    uint8_t expected[PING_DATA_LENGTH];
    ping_data(expected, ping->sequence);
    if (p->tot_len != header_length + sizeof(reply) ||
        pbuf_copy_partial(p, &reply, sizeof(reply), header_length) != sizeof(reply) || reply.header.type != ICMP_ER ||
        reply.header.id != lwip_htons(PING_ID) || reply.header.seqno != lwip_htons(ping->sequence) ||
        inet_chksum(&reply, sizeof(reply)) != 0 || memcmp(reply.data, expected, sizeof(expected)) != 0) {
        return 0;
    }
    ping->replied = true;
    pbuf_free(p);
    return 1;
}

static bool replied(void *context)
{
    return ((struct ping *)context)->replied;
}

/* An echo request in a pbuf for raw_sendto (lwIP adds the IP header), or NULL if out of memory. */
static struct pbuf *echo_request(uint16_t sequence)
{
    struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA_LENGTH, PBUF_RAM);
    if (p == NULL) {
        return NULL;
    }
    struct icmp_echo_hdr *header = p->payload;
    header->type = ICMP_ECHO;
    header->code = 0;
    header->chksum = 0;
    header->id = lwip_htons(PING_ID);
    header->seqno = lwip_htons(sequence);
    ping_data((uint8_t *)(header + 1), sequence);
    header->chksum = inet_chksum(header, p->len);
    return p;
}

bool net_pair_ping(struct net_pair *pair, struct net_interface *from, const ip4_addr_t *address, uint16_t sequence,
                   uint32_t timeout_ms)
{
    struct ping ping = {.address = *address, .sequence = sequence};
    struct raw_pcb *pcb = raw_new(IP_PROTO_ICMP);
    if (pcb == NULL) {
        return false;
    }
    raw_bind_netif(pcb, &from->netif);
    raw_recv(pcb, receive, &ping);
    struct pbuf *request = echo_request(sequence);
    ip_addr_t destination;
    ip_addr_copy_from_ip4(destination, *address);
    bool sent = request != NULL && raw_sendto(pcb, request, &destination) == ERR_OK;
    if (request != NULL) {
        pbuf_free(request);
    }
    bool done = sent && net_pair_run_until(pair, replied, &ping, timeout_ms);
    raw_remove(pcb);
    return done;
}

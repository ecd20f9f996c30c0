/*
 * Proof that a Micro-App compiles and links lwIP (//build/bazel/lwip:lwip) and lib/net, and that they work with the
 * runtime's clock: two interfaces in this app joined by an in-memory cable (testing/pair.h) resolve each other by
 * ARP, answer a ping and carry 256 KiB over TCP, then close. Prints each result; exits 0 when all passed.
 * Needs the "scheduler" capability for the clock (gettimeofday) and a few hundred KiB of heap and image.
 */
#include "testing/pair.h"
#include "testing/pair_arp.h"
#include "testing/pair_ping.h"
#include "testing/pair_tcp_transfer.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/time.h>

#define TIMEOUT_MS 60000
#define TRANSFER_BYTES (256 * 1024)

static struct net_pair pair;

int main(void)
{
    struct timeval now;
    if (gettimeofday(&now, NULL) != 0) {
        printf("net_selftest: no clock (the app needs the \"scheduler\" capability)\n");
        return 2;
    }
    if (!net_pair_add(&pair, NULL)) {
        printf("net_selftest: lwIP refused the interfaces\n");
        return 1;
    }
    struct eth_addr mac;
    bool arp = net_pair_arp(&pair, &pair.a, &pair.address_b, &mac, TIMEOUT_MS);
    printf("net_selftest: ARP 10.0.0.2 -> %02x:%02x:%02x:%02x:%02x:%02x (%s)\n", mac.addr[0], mac.addr[1], mac.addr[2],
           mac.addr[3], mac.addr[4], mac.addr[5], arp ? "ok" : "FAILED");
    bool ping = net_pair_ping(&pair, &pair.a, &pair.address_b, 1, TIMEOUT_MS);
    printf("net_selftest: ping 10.0.0.1 -> 10.0.0.2 (%s)\n", ping ? "answered" : "FAILED");
    struct tcp_transfer_result result;
    bool tcp = net_pair_tcp_transfer(&pair, 7000, TRANSFER_BYTES, TIMEOUT_MS, &result);
    printf("net_selftest: TCP %u of %u bytes in %u ms, checksum %08x (sent %08x), %s (%s, lwIP error %d)\n",
           (unsigned)result.bytes_received, (unsigned)TRANSFER_BYTES, (unsigned)result.elapsed_ms,
           (unsigned)result.checksum_received, (unsigned)result.checksum_sent,
           result.closed ? "closed cleanly" : "NOT closed", tcp ? "ok" : "FAILED", result.error);
    net_pair_remove(&pair);
    bool passed = arp && ping && tcp;
    printf("net_selftest: %s\n", passed ? "passed" : "FAILED");
    return passed ? 0 : 1;
}

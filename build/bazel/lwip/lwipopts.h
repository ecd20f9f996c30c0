/*
 * The project's lwIP configuration (lwIP 2.1.3 from Debian's source package, @lwip), for Micro-Apps and host
 * tests alike: no operating system (NO_SYS, raw/callback API driven by one thread that also runs the timers,
 * see lib/net), IPv4 with ARP, ICMP, UDP, TCP and a DHCP client; no DNS, no IPv6, no sockets.
 * Memory comes from lwIP's own static pools and heap (no malloc), sized for a management agent:
 * about 16 concurrent TCP connections with a window and a send buffer of 4 full segments each.
 * Options not named here keep lwIP's defaults (src/include/lwip/opt.h).
 */
#ifndef KAPSEL_LWIPOPTS_H
#define KAPSEL_LWIPOPTS_H

/* One thread calls into lwIP: no threads, semaphores or mailboxes, and no locking around pools. */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1 /* raw pcbs: ICMP echo from the application (ping) */
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_REASS_MAX_PBUFS 8 /* at most 8 of the receive pool's pbufs wait for missing fragments */
#define IP_FRAG 0            /* nothing sent is larger than the MTU: TCP keeps to its MSS, DHCP is small */

/* Memory: lwIP's own heap (PBUF_RAM: data being sent) and fixed-size pools, all static; no malloc. */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8

/* TCP: Ethernet's full segment, and windows of 4 segments. */
#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_SND_QUEUELEN 16         /* pbufs queued for sending per connection (lwIP's default for 4 segments) */
#define TCP_OOSEQ_MAX_PBUFS 4       /* out-of-order segments held per connection */
#define TCP_LISTEN_BACKLOG 1        /* tcp_listen_with_backlog() limits connections not yet accepted */
#define LWIP_NETIF_TX_SINGLE_PBUF 1 /* frames to send are one pbuf: the link's transmit needs no copy */

/* Pools: every one is a static array of its count of objects. */
#define MEMP_NUM_TCP_PCB 32 /* the API serves 16 clients at once, besides the health check and TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN 4
#define MEMP_NUM_TCP_SEG 128 /* queued segments of all connections; at least TCP_SND_QUEUELEN (lwIP checks) */
#define MEMP_NUM_UDP_PCB 4   /* DHCP takes one */
#define MEMP_NUM_RAW_PCB 2
#define MEMP_NUM_PBUF 16 /* pbufs pointing at data that is not copied (tcp_write without TCP_WRITE_FLAG_COPY) */
#define MEMP_NUM_ARP_QUEUE 16
#define MEMP_NUM_REASSDATA 4
#define ARP_TABLE_SIZE 16
#define PBUF_POOL_SIZE 32 /* received frames, each in one pool pbuf of PBUF_POOL_BUFSIZE (a full frame) */

/* The heap: every connection's full send buffer plus its segments' headers, and room for ARP, ICMP and DHCP. */
#define MEM_SIZE (MEMP_NUM_TCP_PCB * (TCP_SND_BUF + 512) + 16 * 1024)

/* Statistics and debugging output off; assertions on (LWIP_PLATFORM_ASSERT, arch/cc.h). */
#define LWIP_STATS 0

/* Host tests (KAPSEL_LWIP_HOST_CHECKS, set by :lwip_host): lwIP checks its pools for overruns when an element is
 * freed, which ASan cannot see inside a pool. */
#ifdef KAPSEL_LWIP_HOST_CHECKS
#define MEMP_OVERFLOW_CHECK 1
#define MEMP_SANITY_CHECK 1
#define MEM_OVERFLOW_CHECK 1
#define MEM_SANITY_CHECK 1
#endif

/* Random numbers (DHCP transaction ids, first local ports) from the port (lwip_port_random, arch/cc.h), and so are
 * the initial sequence numbers of TCP connections: lwIP's own are a counter, easy to predict (RFC 6528). */
#define LWIP_RAND() lwip_port_random()
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) LWIP_RAND()

#endif

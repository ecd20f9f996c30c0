/* Where vm create --spread puts its VMs: each VM, in turn, on the host with the most free VM memory left (the
 * host's GetHostInfo vm_memory_limit_bytes - vm_memory_used_bytes, less the VMs placed there already), ties to the
 * host listed first. Equal hosts so take turns (round-robin); a host without room for the VM gets none. */
#ifndef KAPSELCTL_PLACEMENT_H
#define KAPSELCTL_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* free_bytes[h]: host h's free VM memory; reachable[h]: whether it answered. Fills assignment[0..vm_count) with
 * host indexes; false if some VM fits on no host (the assignment is then incomplete: place none). */
bool place_vms(const uint64_t *free_bytes, const bool *reachable, size_t host_count, uint64_t vm_bytes, size_t vm_count,
               size_t *assignment);

#endif

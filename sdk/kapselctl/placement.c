/* Greedy placement by free VM memory. */
#include "placement.h"

#include <stdlib.h>

bool place_vms(const uint64_t *free_bytes, const bool *reachable, size_t host_count, uint64_t vm_bytes, size_t vm_count,
               size_t *assignment)
{
    uint64_t *left = malloc((host_count ? host_count : 1) * sizeof(*left));
    if (left == NULL) {
        return false;
    }
    for (size_t host = 0; host < host_count; host++) {
        left[host] = reachable[host] ? free_bytes[host] : 0;
    }
    bool placed_all = true;
    for (size_t vm = 0; vm < vm_count && placed_all; vm++) {
        size_t best = host_count;
        for (size_t host = 0; host < host_count; host++) {
            if (reachable[host] && left[host] >= vm_bytes && (best == host_count || left[host] > left[best])) {
                best = host;
            }
        }
        placed_all = best < host_count;
        if (placed_all) {
            assignment[vm] = best;
            left[best] -= vm_bytes;
        }
    }
    free(left);
    return placed_all;
}

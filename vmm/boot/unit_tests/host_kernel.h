/* Debian's cloud kernel (package linux-image-cloud-amd64), where the machine has one: a real bzImage to test with. */
#ifndef VMM_BOOT_HOST_KERNEL_H
#define VMM_BOOT_HOST_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define HOST_KERNEL_PATTERN "/boot/vmlinuz-*-cloud-amd64"

/* One /boot/vmlinuz-*-cloud-amd64 read whole (free() it), its path in path; NULL if there is none. */
uint8_t *host_kernel_read(size_t *size, char *path, size_t path_size);

#endif

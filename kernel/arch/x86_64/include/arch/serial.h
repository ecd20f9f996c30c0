#ifndef ARCH_SERIAL_H
#define ARCH_SERIAL_H

/* Programs COM1 for 115200 8N1; output is dropped if no UART answers. */
void serial_init(void);

#endif

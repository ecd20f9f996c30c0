/* 16550 UART on COM1: the kernel console. Polled output; the kernel never waits for input. */
#include <arch/cpu.h>
#include <arch/serial.h>
#include <kapsel/console.h>
#include <stdbool.h>

#define COM1 0x3f8
#define UART_DATA 0
#define UART_INTERRUPT_ENABLE 1
#define UART_DIVISOR_LOW 0
#define UART_DIVISOR_HIGH 1
#define UART_FIFO_CONTROL 2
#define UART_LINE_CONTROL 3
#define UART_MODEM_CONTROL 4
#define UART_LINE_STATUS 5
#define UART_SCRATCH 7

#define LINE_CONTROL_8N1 0x03
#define LINE_CONTROL_DIVISOR_LATCH 0x80
#define LINE_STATUS_TRANSMIT_EMPTY 0x20
#define BAUD_DIVISOR_115200 1

static bool serial_present;

void serial_init(void)
{
    /* A UART keeps what is written to its scratch register; a missing one reads back 0xff. */
    port_write8(COM1 + UART_SCRATCH, 0x5a);
    serial_present = port_read8(COM1 + UART_SCRATCH) == 0x5a;
    if (!serial_present) {
        return;
    }
    port_write8(COM1 + UART_INTERRUPT_ENABLE, 0);
    port_write8(COM1 + UART_LINE_CONTROL, LINE_CONTROL_DIVISOR_LATCH);
    port_write8(COM1 + UART_DIVISOR_LOW, BAUD_DIVISOR_115200);
    port_write8(COM1 + UART_DIVISOR_HIGH, 0);
    port_write8(COM1 + UART_LINE_CONTROL, LINE_CONTROL_8N1);
    port_write8(COM1 + UART_FIFO_CONTROL, 0xc7);  /* enable and clear FIFOs */
    port_write8(COM1 + UART_MODEM_CONTROL, 0x03); /* DTR, RTS */
}

static void serial_put(char c)
{
    while (!(port_read8(COM1 + UART_LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY)) {
    }
    port_write8(COM1 + UART_DATA, (uint8_t)c);
}

void console_write(const char *text, size_t length)
{
    if (!serial_present) {
        return;
    }
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '\n') {
            serial_put('\r');
        }
        serial_put(text[i]);
    }
}

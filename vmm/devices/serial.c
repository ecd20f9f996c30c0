#include "serial.h"

#include <string.h>

/* Register offsets; with LCR.DLAB set, offsets 0 and 1 are the divisor latch instead. */
#define REGISTER_DATA 0      /* read: receive buffer, write: transmit holding */
#define REGISTER_INTERRUPT 1 /* interrupt enable */
#define REGISTER_FIFO 2      /* read: interrupt identification, write: FIFO control */
#define REGISTER_LINE_CONTROL 3
#define REGISTER_MODEM_CONTROL 4
#define REGISTER_LINE_STATUS 5
#define REGISTER_MODEM_STATUS 6
#define REGISTER_SCRATCH 7

#define LINE_CONTROL_DLAB 0x80
#define LINE_STATUS_EMPTY 0x60 /* THRE and TEMT: the transmitter takes a byte at once */
#define NO_INTERRUPT_PENDING 0x01
#define INTERRUPT_ENABLE_BITS 0x0f
#define MODEM_CONTROL_BITS 0x1f

static void transmit(struct serial *serial, uint8_t byte)
{
    console_lines_put(&serial->output, byte);
}

static bool divisor_latch(const struct serial *serial)
{
    return serial->line_control & LINE_CONTROL_DLAB;
}

#define INTERRUPT_ENABLE_TRANSMIT 0x02
#define IDENTIFICATION_TRANSMIT 0x02

/* The transmitter is always empty: an enabled THRE interrupt is pending again after every byte. */
static void update_transmit_interrupt(struct serial *serial)
{
    serial->transmit_interrupt = serial->raise_interrupt && (serial->interrupt_enable & INTERRUPT_ENABLE_TRANSMIT);
    if (serial->transmit_interrupt) {
        serial->raise_interrupt(serial->interrupt_context);
    }
}

void serial_connect_interrupt(struct serial *serial, void (*raise)(void *context), void *context)
{
    serial->raise_interrupt = raise;
    serial->interrupt_context = context;
}

static const char *serial_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    struct serial *serial = context;
    (void)size; /* the registry admits 1-byte accesses only */
    switch (offset) {
    case REGISTER_DATA:
        *value = divisor_latch(serial) ? serial->divisor_low : 0; /* no input: the receive buffer is empty */
        break;
    case REGISTER_INTERRUPT:
        *value = divisor_latch(serial) ? serial->divisor_high : serial->interrupt_enable;
        break;
    case REGISTER_FIFO:
        *value = serial->transmit_interrupt ? IDENTIFICATION_TRANSMIT : NO_INTERRUPT_PENDING;
        serial->transmit_interrupt = false; /* reading the IIR acknowledges THRE */
        break;
    case REGISTER_LINE_CONTROL:
        *value = serial->line_control;
        break;
    case REGISTER_MODEM_CONTROL:
        *value = serial->modem_control;
        break;
    case REGISTER_LINE_STATUS:
        *value = LINE_STATUS_EMPTY;
        break;
    case REGISTER_MODEM_STATUS:
        *value = 0; /* no modem lines */
        break;
    default: /* REGISTER_SCRATCH: the registry admits offsets 0..7 only */
        *value = serial->scratch;
        break;
    }
    return NULL;
}

static const char *serial_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    struct serial *serial = context;
    uint8_t byte = (uint8_t)value;
    (void)size;
    switch (offset) {
    case REGISTER_DATA:
        if (divisor_latch(serial)) {
            serial->divisor_low = byte;
        } else {
            transmit(serial, byte);
            update_transmit_interrupt(serial);
        }
        break;
    case REGISTER_INTERRUPT:
        if (divisor_latch(serial)) {
            serial->divisor_high = byte;
        } else {
            serial->interrupt_enable = byte & INTERRUPT_ENABLE_BITS;
            update_transmit_interrupt(serial);
        }
        break;
    case REGISTER_LINE_CONTROL:
        serial->line_control = byte;
        break;
    case REGISTER_MODEM_CONTROL:
        serial->modem_control = byte & MODEM_CONTROL_BITS;
        break;
    case REGISTER_SCRATCH:
        serial->scratch = byte;
        break;
    default:
        break; /* FIFO control, and the read-only status registers: nothing to change */
    }
    return NULL;
}

enum error serial_register(struct serial *serial, struct device_registry *registry, uint16_t base)
{
    void (*raise)(void *) = serial->raise_interrupt;
    void *interrupt_context = serial->interrupt_context;
    memset(serial, 0, sizeof(*serial));
    serial->raise_interrupt = raise; /* a connection made before registration stays */
    serial->interrupt_context = interrupt_context;
    console_lines_init(&serial->output, "guest");
    struct device device = {
        .name = "serial",
        .space = DEVICE_SPACE_PORT,
        .base = base,
        .size = SERIAL_PORTS,
        .access_sizes = 1,
        .read = serial_read,
        .write = serial_write,
        .context = serial,
    };
    return device_registry_add(registry, &device);
}

void serial_flush(struct serial *serial)
{
    console_lines_flush(&serial->output);
}

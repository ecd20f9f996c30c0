#include "pic.h"

#define ICW1_INIT 0x10
#define ICW1_NEEDS_ICW4 0x01
#define OCW3_SELECT 0x08
#define OCW3_READ_ISR 0x03
#define OCW2_EOI 0x20
#define OCW2_SPECIFIC 0x40
#define CASCADE_LINE 2
#define MASTER_PORT 0x20
#define SLAVE_PORT 0xa0
#define ELCR_PORT 0x4d0

static int highest(uint8_t bits)
{
    for (int line = 0; line < 8; line++) {
        if (bits & (1u << line)) {
            return line;
        }
    }
    return -1;
}

/* The line this chip would raise next: requested, unmasked, and above whatever is in service. */
static int chip_pending(const struct pic_chip *chip)
{
    int requested = highest(chip->request & (uint8_t)~chip->mask);
    int serving = highest(chip->service);
    if (requested < 0 || (serving >= 0 && serving <= requested)) {
        return -1;
    }
    return requested;
}

static void command_write(struct pic_chip *chip, uint8_t value)
{
    if (value & ICW1_INIT) {
        *chip = (struct pic_chip){.init_step = 1, .needs_icw4 = value & ICW1_NEEDS_ICW4};
        return;
    }
    if (value & OCW3_SELECT) {
        if ((value & OCW3_READ_ISR) >= 2) {
            chip->read_service = (value & OCW3_READ_ISR) == OCW3_READ_ISR;
        }
        return;
    }
    if (value & OCW2_EOI) {
        int line = (value & OCW2_SPECIFIC) ? (value & 7) : highest(chip->service);
        if (line >= 0) {
            chip->service &= (uint8_t) ~(1u << line);
        }
    }
}

static void data_write(struct pic_chip *chip, uint8_t value)
{
    switch (chip->init_step) {
    case 1:
        chip->vector_base = value & 0xf8;
        chip->init_step = 2;
        break;
    case 2:
        chip->init_step = chip->needs_icw4 ? 3 : 0;
        break;
    case 3:
        chip->init_step = 0;
        break;
    default:
        chip->mask = value;
        break;
    }
}

/* The three port windows share one device; the window's base turns an offset back into a port number. */
static struct pic *pic_of(void *context, uint64_t offset, uint16_t *port)
{
    const struct pic_window *window = context;
    *port = (uint16_t)(window->base + offset);
    return window->pic;
}

static const char *pic_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)size;
    uint16_t port;
    const struct pic *pic = pic_of(context, offset, &port);
    if (port >= ELCR_PORT) {
        *value = pic->trigger_mode[port - ELCR_PORT];
        return NULL;
    }
    const struct pic_chip *chip = &pic->chips[port >= SLAVE_PORT];
    *value = (port & 1) ? chip->mask : (chip->read_service ? chip->service : chip->request);
    return NULL;
}

static const char *pic_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)size;
    uint16_t port;
    struct pic *pic = pic_of(context, offset, &port);
    if (port >= ELCR_PORT) {
        pic->trigger_mode[port - ELCR_PORT] = (uint8_t)value;
        return NULL;
    }
    struct pic_chip *chip = &pic->chips[port >= SLAVE_PORT];
    if (port & 1) {
        data_write(chip, (uint8_t)value);
    } else {
        command_write(chip, (uint8_t)value);
    }
    return NULL;
}

enum error pic_register(struct pic *pic, struct device_registry *registry)
{
    *pic = (struct pic){.chips = {{.mask = 0xff}, {.mask = 0xff}}};
    static const struct {
        const char *name;
        uint16_t base;
    } windows[PIC_WINDOWS] = {{"8259 master", MASTER_PORT}, {"8259 slave", SLAVE_PORT}, {"ELCR", ELCR_PORT}};
    for (unsigned i = 0; i < PIC_WINDOWS; i++) {
        pic->windows[i] = (struct pic_window){pic, windows[i].base};
        const struct device device = {
            windows[i].name, DEVICE_SPACE_PORT, windows[i].base, 2, 1, pic_read, pic_write, &pic->windows[i],
        };
        enum error error = device_registry_add(registry, &device);
        if (error != ERROR_NONE) {
            return error;
        }
    }
    return ERROR_NONE;
}

void pic_raise(struct pic *pic, unsigned irq)
{
    if (irq < 8) {
        pic->chips[0].request |= (uint8_t)(1u << irq);
    } else if (irq < 16) {
        pic->chips[1].request |= (uint8_t)(1u << (irq - 8));
        pic->chips[0].request |= 1u << CASCADE_LINE;
    }
}

int pic_pending_vector(const struct pic *pic)
{
    int line = chip_pending(&pic->chips[0]);
    if (line < 0) {
        return -1;
    }
    if (line == CASCADE_LINE) {
        int slave_line = chip_pending(&pic->chips[1]);
        return slave_line < 0 ? -1 : pic->chips[1].vector_base + slave_line;
    }
    return pic->chips[0].vector_base + line;
}

void pic_acknowledge(struct pic *pic)
{
    int line = chip_pending(&pic->chips[0]);
    if (line < 0) {
        return;
    }
    pic->chips[0].request &= (uint8_t) ~(1u << line);
    pic->chips[0].service |= (uint8_t)(1u << line);
    if (line == CASCADE_LINE) {
        int slave_line = chip_pending(&pic->chips[1]);
        if (slave_line >= 0) {
            pic->chips[1].request &= (uint8_t) ~(1u << slave_line);
            pic->chips[1].service |= (uint8_t)(1u << slave_line);
        }
    }
}

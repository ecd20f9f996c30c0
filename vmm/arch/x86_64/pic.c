#include "pic.h"

#define ICW1_INIT 0x10
#define ICW1_NEEDS_ICW4 0x01
#define OCW3_SELECT 0x08
#define OCW3_READ_ISR 0x03
#define OCW2_EOI 0x20
#define OCW2_SPECIFIC 0x40
#define CASCADE_LINE 2

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

static const char *pic_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)size;
    struct pic *pic = context;
    if (offset >= 0x4d0) { /* ELCR */
        *value = pic->trigger_mode[offset - 0x4d0];
        return NULL;
    }
    const struct pic_chip *chip = &pic->chips[offset >= 0xa0];
    *value = (offset & 1) ? chip->mask : (chip->read_service ? chip->service : chip->request);
    return NULL;
}

static const char *pic_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)size;
    struct pic *pic = context;
    if (offset >= 0x4d0) {
        pic->trigger_mode[offset - 0x4d0] = (uint8_t)value;
        return NULL;
    }
    struct pic_chip *chip = &pic->chips[offset >= 0xa0];
    if (offset & 1) {
        data_write(chip, (uint8_t)value);
    } else {
        command_write(chip, (uint8_t)value);
    }
    return NULL;
}

/* Each window has its own registration; the device sees absolute port numbers as offsets from 0. */
static const char *master_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    return pic_read(context, 0x20 + offset, size, value);
}
static const char *master_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    return pic_write(context, 0x20 + offset, size, value);
}
static const char *slave_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    return pic_read(context, 0xa0 + offset, size, value);
}
static const char *slave_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    return pic_write(context, 0xa0 + offset, size, value);
}
static const char *elcr_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    return pic_read(context, 0x4d0 + offset, size, value);
}
static const char *elcr_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    return pic_write(context, 0x4d0 + offset, size, value);
}

enum error pic_register(struct pic *pic, struct device_registry *registry)
{
    *pic = (struct pic){.chips = {{.mask = 0xff}, {.mask = 0xff}}};
    const struct device windows[] = {
        {"8259 master", DEVICE_SPACE_PORT, 0x20, 2, 1, master_read, master_write, pic},
        {"8259 slave", DEVICE_SPACE_PORT, 0xa0, 2, 1, slave_read, slave_write, pic},
        {"ELCR", DEVICE_SPACE_PORT, 0x4d0, 2, 1, elcr_read, elcr_write, pic},
    };
    for (unsigned i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
        enum error error = device_registry_add(registry, &windows[i]);
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

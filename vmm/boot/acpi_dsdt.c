#include "acpi_dsdt.h"

/* Linux's virtio_mmio driver matches this _HID in its ACPI table (drivers/virtio/virtio_mmio.c). */
#define VIRTIO_MMIO_HID "LNRO0005"

/* Linux's i8042 driver takes a PS/2 keyboard's ports and IRQ from this PNP device (drivers/input/serio). */
#define PS2_KEYBOARD_HID "PNP0303"

/* Memory32Fixed (12 bytes) + Extended Interrupt with one number (9) + End Tag (2). */
#define RESOURCE_TEMPLATE_SIZE 23
/* Two IO (8 bytes each) + IRQNoFlags (3) + End Tag (2). */
#define KEYBOARD_RESOURCE_TEMPLATE_SIZE 21

static void virtio_mmio_device(struct aml_writer *writer, unsigned index, const struct acpi_virtio_mmio_device *device)
{
    const char name[4] = {'V', 'R', (char)('0' + index / 10), (char)('0' + index % 10)};
    size_t package = aml_device_begin(writer, name);
    aml_name(writer, "_HID");
    aml_string(writer, VIRTIO_MMIO_HID);
    aml_name(writer, "_UID");
    aml_integer(writer, index);

    uint8_t resources[RESOURCE_TEMPLATE_SIZE];
    struct aml_writer template;
    aml_writer_init(&template, resources, sizeof resources);
    aml_memory32_fixed(&template, true, (uint32_t)device->base, device->size);
    /* Edge-triggered: the transport signals each interrupt as a pulse and keeps no line level. */
    aml_extended_interrupt(&template, AML_INTERRUPT_CONSUMER | AML_INTERRUPT_EDGE, device->gsi);
    aml_end_tag(&template);
    aml_name(writer, "_CRS");
    aml_buffer(writer, resources, template.length);

    aml_package_end(writer, package);
}

/*
 * The keyboard controller, so that Linux's i8042 driver finds it through PNP (the FADT does not claim an 8042: Linux
 * would otherwise probe the ports only when told to). No AUX (mouse) device: Linux then takes the AUX port as absent.
 */
static void ps2_keyboard_device(struct aml_writer *writer)
{
    size_t package = aml_device_begin(writer, "PS2K");
    aml_name(writer, "_HID");
    aml_string(writer, PS2_KEYBOARD_HID);

    uint8_t resources[KEYBOARD_RESOURCE_TEMPLATE_SIZE];
    struct aml_writer template;
    aml_writer_init(&template, resources, sizeof resources);
    aml_io_ports(&template, ACPI_KEYBOARD_DATA_PORT, 1);
    aml_io_ports(&template, ACPI_KEYBOARD_COMMAND_PORT, 1);
    aml_isa_irq(&template, ACPI_KEYBOARD_IRQ);
    aml_end_tag(&template);
    aml_name(writer, "_CRS");
    aml_buffer(writer, resources, template.length);

    aml_package_end(writer, package);
}

void acpi_dsdt_write_aml(struct aml_writer *writer, const struct acpi_config *config)
{
    /* \_S5_: the SLP_TYP values (A and B) the guest writes to the sleep control register to power off. */
    aml_name(writer, "_S5_");
    size_t sleep_types = aml_package_begin(writer, 2);
    aml_integer(writer, ACPI_SLEEP_TYPE_S5);
    aml_integer(writer, 0);
    aml_package_end(writer, sleep_types);
    size_t scope = aml_scope_begin(writer, "_SB_");
    for (size_t i = 0; i < config->device_count; i++) {
        virtio_mmio_device(writer, (unsigned)i, &config->devices[i]);
    }
    ps2_keyboard_device(writer);
    aml_package_end(writer, scope);
}

/* Hardware interrupt lines on x86-64: the first I/O APIC from the ACPI MADT, ISA overrides applied. */
#include <arch/io_apic.h>
#include <kapsel/acpi.h>
#include <kapsel/interrupt_lines.h>
#include <kapsel/irq.h>
#include <kapsel/kernel.h>
#include <kapsel/print.h>

#define MPS_POLARITY_MASK 0x3
#define MPS_POLARITY_ACTIVE_LOW 0x3
#define MPS_TRIGGER_MASK 0xc
#define MPS_TRIGGER_LEVEL 0xc

static struct irq *bound[INTERRUPT_LINES];
static uint32_t line_count;
static struct acpi_interrupt_controllers controllers;

bool interrupt_lines_init(const char **reason)
{
    enum error error = acpi_read_interrupt_controllers(kernel_boot_info()->acpi_rsdp, &controllers);
    if (error != ERROR_NONE) {
        *reason = "no ACPI MADT with an I/O APIC";
        return false;
    }
    const struct acpi_io_apic *io_apic = &controllers.io_apics[0];
    uint32_t pins = io_apic->gsi_base == 0 ? io_apic_init(io_apic->address, 0) : 0;
    if (pins == 0) {
        *reason = "the I/O APIC for GSI 0 cannot be used";
        return false;
    }
    line_count = pins < INTERRUPT_LINES ? pins : INTERRUPT_LINES;
    static char description[64];
    format_string_to(description, sizeof(description), "I/O APIC at %#x, %u ISA overrides", io_apic->address,
                     controllers.override_count);
    *reason = description;
    return true;
}

uint32_t interrupt_lines_count(void)
{
    return line_count;
}

enum error interrupt_line_bind(struct irq *irq, uint32_t line)
{
    if (line >= line_count) {
        return ERROR_OUT_OF_RANGE;
    }
    if (bound[line] || irq_bound_to_hardware(irq)) {
        return ERROR_BUSY;
    }
    /* ISA lines are edge-triggered, active high, unless the firmware says otherwise; PCI lines are level, low. */
    bool isa = line < 16;
    bool level = !isa;
    bool active_low = !isa;
    for (uint32_t i = 0; i < controllers.override_count; i++) {
        const struct acpi_interrupt_override *override = &controllers.overrides[i];
        if (override->gsi == line) {
            if ((override->flags & MPS_TRIGGER_MASK) != 0) {
                level = (override->flags & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL;
            }
            if ((override->flags & MPS_POLARITY_MASK) != 0) {
                active_low = (override->flags & MPS_POLARITY_MASK) == MPS_POLARITY_ACTIVE_LOW;
            }
        }
    }
    bound[line] = irq;
    irq->line = line;
    irq->line_bound = true;
    io_apic_route(line, level, active_low);
    io_apic_set_masked(line, false);
    return ERROR_NONE;
}

void interrupt_line_unmask(struct irq *irq)
{
    if (irq->line_bound) {
        io_apic_set_masked(irq->line, false);
    }
}

void interrupt_line_unbind(struct irq *irq)
{
    if (irq->line_bound) {
        io_apic_set_masked(irq->line, true);
        bound[irq->line] = NULL;
        irq->line_bound = false;
    }
}

void interrupt_line_fired(uint32_t line)
{
    if (line >= line_count || !bound[line]) {
        return;
    }
    io_apic_set_masked(line, true); /* until the Irq is acknowledged */
    irq_raise(bound[line]);
}

/* The ISA IRQ the firmware routes to a different GSI (0 stays 0 otherwise): for ICU users naming ISA IRQs. */
uint32_t interrupt_line_for_isa(uint32_t isa_irq)
{
    for (uint32_t i = 0; i < controllers.override_count; i++) {
        if (controllers.overrides[i].isa_irq == isa_irq) {
            return controllers.overrides[i].gsi;
        }
    }
    return isa_irq;
}

#include <arch/io_apic.h>
#include <arch/paging.h>

#define IO_APIC_SELECT 0x00
#define IO_APIC_WINDOW 0x10
#define IO_APIC_VERSION 0x01
#define IO_APIC_REDIRECTION 0x10
#define ENTRY_MASKED (1u << 16)
#define ENTRY_LEVEL (1u << 15)
#define ENTRY_ACTIVE_LOW (1u << 13)

static volatile uint32_t *registers;
static uint32_t first_gsi;
static uint32_t pins;

static uint32_t read_register(uint32_t index)
{
    registers[IO_APIC_SELECT / 4] = index;
    return registers[IO_APIC_WINDOW / 4];
}

static void write_register(uint32_t index, uint32_t value)
{
    registers[IO_APIC_SELECT / 4] = index;
    registers[IO_APIC_WINDOW / 4] = value;
}

uint32_t io_apic_init(uint32_t address, uint32_t gsi_base)
{
    registers = paging_map_device(address, 0x1000);
    if (!registers) {
        return 0;
    }
    first_gsi = gsi_base;
    pins = ((read_register(IO_APIC_VERSION) >> 16) & 0xff) + 1;
    for (uint32_t pin = 0; pin < pins; pin++) {
        write_register(IO_APIC_REDIRECTION + 2 * pin, ENTRY_MASKED);
        write_register(IO_APIC_REDIRECTION + 2 * pin + 1, 0);
    }
    return pins;
}

void io_apic_route(uint32_t gsi, bool level_triggered, bool active_low)
{
    uint32_t pin = gsi - first_gsi;
    uint32_t low = ENTRY_MASKED | (VECTOR_FIRST_LINE + gsi);
    low |= level_triggered ? ENTRY_LEVEL : 0;
    low |= active_low ? ENTRY_ACTIVE_LOW : 0;
    write_register(IO_APIC_REDIRECTION + 2 * pin + 1, 0); /* destination: APIC id 0, the boot CPU */
    write_register(IO_APIC_REDIRECTION + 2 * pin, low);
}

void io_apic_set_masked(uint32_t gsi, bool masked)
{
    uint32_t pin = gsi - first_gsi;
    uint32_t low = read_register(IO_APIC_REDIRECTION + 2 * pin);
    write_register(IO_APIC_REDIRECTION + 2 * pin, masked ? low | ENTRY_MASKED : low & ~ENTRY_MASKED);
}

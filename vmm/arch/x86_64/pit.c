#include "pit.h"

#define COMMAND_PORT_OFFSET 3
#define LATCH_COUNT 0
#define MODE_INTERRUPT_ON_TERMINAL_COUNT 0
#define MODE_RATE_GENERATOR 2
#define MODE_SQUARE_WAVE 3
#define PORT61_OUT2 0x20

static uint64_t ticks_since_start(const struct pit *pit, const struct pit_channel *channel)
{
    uint64_t elapsed_ns = pit->now_ns(pit->clock) - channel->start_ns;
    return elapsed_ns * PIT_FREQUENCY_HZ / 1000000000ull;
}

static bool periodic(const struct pit_channel *channel)
{
    return (channel->mode & 3) == MODE_RATE_GENERATOR || (channel->mode & 3) == MODE_SQUARE_WAVE;
}

static uint16_t current_count(const struct pit *pit, const struct pit_channel *channel)
{
    uint64_t ticks = ticks_since_start(pit, channel);
    if (periodic(channel)) {
        return (uint16_t)(channel->reload - ticks % channel->reload);
    }
    return ticks >= channel->reload ? (uint16_t)(0x10000 - (ticks - channel->reload) % 0x10000)
                                    : (uint16_t)(channel->reload - ticks);
}

static uint64_t period_ns(const struct pit_channel *channel)
{
    return channel->reload * 1000000000ull / PIT_FREQUENCY_HZ;
}

static void start_counting(struct pit *pit, unsigned index)
{
    struct pit_channel *channel = &pit->channels[index];
    channel->start_ns = pit->now_ns(pit->clock);
    channel->armed = true;
    if (index == 0) {
        uint64_t first = channel->start_ns + period_ns(channel);
        pit->next_fire_ns = first ? first : 1;
    }
}

static void command(struct pit *pit, uint8_t value)
{
    unsigned index = value >> 6;
    if (index == 3) {
        return; /* read-back command: not used by the guests we boot */
    }
    struct pit_channel *channel = &pit->channels[index];
    unsigned access = (value >> 4) & 3;
    if (access == LATCH_COUNT) {
        channel->latch = current_count(pit, channel);
        channel->latched = true;
        channel->read_high = false;
        return;
    }
    *channel = (struct pit_channel){.mode = (value >> 1) & 7, .access = (uint8_t)access, .reload = 0x10000};
    if (index == 0) {
        pit->next_fire_ns = 0; /* stopped until a count arrives */
    }
}

static void count_write(struct pit *pit, unsigned index, uint8_t byte)
{
    struct pit_channel *channel = &pit->channels[index];
    uint32_t reload = channel->reload == 0x10000 ? 0 : channel->reload;
    if (channel->access == 1 || (channel->access == 3 && !channel->write_high)) {
        reload = (reload & 0xff00) | byte;
        if (channel->access == 3) {
            channel->write_high = true;
            channel->reload = reload ? reload : 0x10000;
            return;
        }
    } else {
        reload = (reload & 0x00ff) | (uint32_t)byte << 8;
        channel->write_high = false;
    }
    channel->reload = reload ? reload : 0x10000;
    start_counting(pit, index);
}

static uint8_t count_read(struct pit *pit, unsigned index)
{
    struct pit_channel *channel = &pit->channels[index];
    uint16_t count = channel->latched ? channel->latch : current_count(pit, channel);
    bool high = channel->access == 2 || (channel->access == 3 && channel->read_high);
    if (channel->access == 3) {
        channel->read_high = !channel->read_high;
        if (!channel->read_high) {
            channel->latched = false;
        }
    } else {
        channel->latched = false;
    }
    return high ? (uint8_t)(count >> 8) : (uint8_t)count;
}

static const char *pit_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)size;
    struct pit *pit = context;
    *value = offset < COMMAND_PORT_OFFSET ? count_read(pit, (unsigned)offset) : 0;
    return NULL;
}

static const char *pit_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)size;
    struct pit *pit = context;
    if (offset == COMMAND_PORT_OFFSET) {
        command(pit, (uint8_t)value);
    } else {
        count_write(pit, (unsigned)offset, (uint8_t)value);
    }
    return NULL;
}

static const char *port61_read(void *context, uint64_t offset, unsigned size, uint64_t *value)
{
    (void)offset;
    (void)size;
    struct pit *pit = context;
    const struct pit_channel *channel = &pit->channels[2];
    bool out = channel->armed && (periodic(channel) ? current_count(pit, channel) > channel->reload / 2
                                                    : ticks_since_start(pit, channel) >= channel->reload);
    *value = (pit->port61 & 3) | (out ? PORT61_OUT2 : 0);
    return NULL;
}

static const char *port61_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    (void)offset;
    (void)size;
    struct pit *pit = context;
    bool gate_rises = !(pit->port61 & 1) && (value & 1);
    pit->port61 = (uint8_t)(value & 3);
    if (gate_rises && pit->channels[2].armed) {
        start_counting(pit, 2); /* channel 2 (re)starts counting on a rising gate */
    }
    return NULL;
}

enum error pit_register(struct pit *pit, struct device_registry *registry, uint64_t (*now_ns)(void *), void *clock)
{
    *pit = (struct pit){.now_ns = now_ns, .clock = clock};
    for (unsigned i = 0; i < 3; i++) {
        pit->channels[i].reload = 0x10000;
    }
    const struct device timer = {"8254 PIT", DEVICE_SPACE_PORT, 0x40, 4, 1, pit_read, pit_write, pit};
    const struct device gate = {"port 0x61", DEVICE_SPACE_PORT, 0x61, 1, 1, port61_read, port61_write, pit};
    enum error error = device_registry_add(registry, &timer);
    return error != ERROR_NONE ? error : device_registry_add(registry, &gate);
}

bool pit_channel0_due(struct pit *pit, uint64_t now_ns)
{
    struct pit_channel *channel = &pit->channels[0];
    if (!pit->next_fire_ns || now_ns < pit->next_fire_ns) {
        return false;
    }
    if (periodic(channel)) {
        uint64_t period = period_ns(channel);
        /* Ticks the VMM could not deliver in time are coalesced into this one. */
        while (pit->next_fire_ns <= now_ns) {
            pit->next_fire_ns += period ? period : 1;
        }
    } else {
        pit->next_fire_ns = 0; /* one shot */
    }
    return true;
}

/*
 * uvmm: the user-level VMM, one Micro-App instance per VM.
 *
 *     uvmm --guest <image> [--scenario <name>] [--ram <size>] [--name <vm name>]
 *     uvmm --guest linux --kernel <file> [--initrd <file>] [--ram <size>] [--name <vm name>]
 *          [--disk <file>] [--disk-ro <file>] [--vsock-cid <cid>]
 *          [--net-link <shared region>:<end> --mac <mac> [--net-peer <app>]]
 *          [--shutdown-after-line <text>] -- <command line>
 *
 * A Linux guest's kernel (a bzImage), initrd and disk images are files the
 * root task hands this app (the manifest's "file" lines); the words after
 * "--" are its command line. It gets virtio devices (virtio_devices.h): a
 * console, an entropy device, a socket device with --vsock-cid, a network
 * port with --net-link (end 0 or 1 of a link through the manifest's shared
 * region, woken through the capability "peer:<app>" of --net-peer), and a
 * disk per --disk (writable, the uvmm's own copy) or --disk-ro, /dev/vda first.
 * The launcher's shutdown request (kapsel/vmm_control.h, control.h) presses
 * Ctrl-Alt-Del on the guest's keyboard; --shutdown-after-line does the same,
 * for tests, once a line of the guest's serial console contains the text.
 * --guest names a built-in image (guest_image.c), --scenario picks what the
 * test guest does, --ram is the guest RAM (K/M/G suffixes, a multiple of
 * 4 KiB, default 2M) and --name the VM's name in its output (default: the
 * app's name). The app needs the named capabilities "factory" (the Vm, its
 * vCPU and its nested page tables are charged there) and "log", and a heap
 * ("memory" in the manifest) of the guest RAM plus GUEST_RAM_ALIGNMENT plus
 * a little for itself.
 *
 * Output: the guest's serial lines and hypercall values as "[<vm name>] ...",
 * then exactly one line "<vm name>: VM ended: <reason>". Exit status: the
 * guest's own for a deliberate end (0 after HLT), VMM_STATUS_* (vm.h) for a
 * failure.
 */
#include "arch.h"
#include "control.h"
#include "devices/serial.h"
#include "devices/test_device.h"
#include "guest_image.h"
#include "options.h"
#include "vcpu_loop.h"
#include "virtio_devices.h"
#include "vm.h"

#include <kapsel/environment.h>
#include <kapsel/runtime.h>
#include <kapsel/syscall.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A free page of the app's address space: clear of its image, heap, stack, environment and UTCB. */
#define VCPU_STATE_ADDRESS 0x0000600000000000ull
/* The first slot after the named capabilities the root task may install. */
#define VM_SLOT (APP_FIRST_NAMED + APP_MAX_NAMED_CAPABILITIES)
#define PLATFORM_GATE_SLOT (VM_SLOT + 1)
/* Guest RAM aligned like the largest VM_MAP item, so that it maps in few, large items. */
#define GUEST_RAM_ALIGNMENT (GUEST_PAGE_SIZE << GUEST_MAX_MAP_ORDER)

#define LINUX_GUEST "linux"

/* Everything one VM is made of, so that main() only sequences it. */
struct machine {
    struct vm vm;
    struct serial serial;
    struct test_device test_device;
    struct virtio_devices virtio;
    struct control_line_trigger shutdown_trigger; /* --shutdown-after-line */
};

static bool failed(struct vm *vm, const char *what, enum error error)
{
    vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: %s: %s", what, error_name(error));
    return false;
}

/* The kernel's side: the Vm, guest RAM from this app's heap mapped into it, vCPU 0 and its state page. */
static bool create_vm(struct vm *vm, uint64_t ram_size)
{
    uint64_t factory = capability_named("factory");
    if (!factory) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: the manifest gives this app no \"factory\" capability");
        return false;
    }
    enum error error = factory_create_vm(factory, VM_SLOT, 1);
    if (error != ERROR_NONE) {
        return failed(vm, "creating the Vm", error);
    }
    vm->capability = VM_SLOT;
    vm->ram.host_base = memalign(GUEST_RAM_ALIGNMENT, ram_size);
    if (!vm->ram.host_base) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: no heap for %llu KiB of guest RAM",
               (unsigned long long)(ram_size >> 10));
        return false;
    }
    /* Touching every page makes the pager map them: VM_MAP passes on only pages that are there. */
    memset(vm->ram.host_base, 0, ram_size);
    vm->ram.size = ram_size;
    uint64_t failed_at = 0;
    error = guest_ram_map(vm->capability, &vm->ram, &failed_at);
    if (error != ERROR_NONE) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: VM_MAP of guest RAM at 0x%llx: %s",
               (unsigned long long)failed_at, error_name(error));
        return false;
    }
    uint64_t vcpus, mapped;
    bool supported;
    error = vm_info(vm->capability, &vcpus, &mapped, &supported);
    if (error != ERROR_NONE) {
        return failed(vm, "VM_INFO", error);
    }
    if (mapped != ram_size) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: the kernel reports %llu bytes of guest memory, not %llu",
               (unsigned long long)mapped, (unsigned long long)ram_size);
        return false;
    }
    error = vm_vcpu_create(vm->capability, 0, VCPU_STATE_ADDRESS);
    if (error != ERROR_NONE) {
        return failed(vm, "creating vCPU 0", error);
    }
    vm->vcpu = (struct vcpu_state *)(uintptr_t)VCPU_STATE_ADDRESS;
    return true;
}

/* The serial port; the test device only for the test guest (its window is where Linux guests get virtio). */
static bool add_devices(struct machine *machine, bool with_test_device)
{
    struct vm *vm = &machine->vm;
    device_registry_init(&vm->devices);
    enum error error = serial_register(&machine->serial, &vm->devices, SERIAL_COM1_PORT);
    if (error != ERROR_NONE) {
        return failed(vm, "adding the serial port", error);
    }
    error = with_test_device ? test_device_register(&machine->test_device, &vm->devices) : ERROR_NONE;
    if (error != ERROR_NONE) {
        return failed(vm, "adding the test device", error);
    }
    return true;
}

static bool add_virtio(struct machine *machine, const struct options *options)
{
    const char *refused = virtio_devices_add(&machine->virtio, &machine->vm, &options->virtio);
    if (refused) {
        vm_end(&machine->vm, VMM_STATUS_SETUP_FAILED, "not started: %s", refused);
        return false;
    }
    return true;
}

static bool load_guest(struct vm *vm, const struct guest_image *image, uint64_t boot_argument)
{
    void *destination = guest_memory_at(&vm->ram, image->load_address, *image->size);
    if (!destination) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: %s (%lu bytes at 0x%llx) does not fit in guest RAM",
               image->name, *image->size, (unsigned long long)image->load_address);
        return false;
    }
    memcpy(destination, image->bytes, *image->size);
    arch_guest_setup(vm->vcpu, image->entry, vm->ram.size, boot_argument);
    return true;
}

/* A file the root task handed this app, or NULL after ending the VM with the reason. */
static const uint8_t *handed_file(struct vm *vm, const char *name, uint64_t *size)
{
    const void *data = NULL;
    if (!environment_file(name, &data, size)) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: no file \"%s\" (the manifest's file lines)", name);
        return NULL;
    }
    return data;
}

/* COM1 is ISA IRQ 4 on a PC. */
static void raise_serial_interrupt(void *context)
{
    arch_platform_raise_irq(context, 4);
}

static void run_linux(struct machine *machine, const struct options *options)
{
    struct vm *vm = &machine->vm;
    uint64_t kernel_size = 0, initrd_size = 0;
    const uint8_t *initrd = NULL;
    if (!options->kernel) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: a Linux guest needs --kernel");
        return;
    }
    const uint8_t *kernel = handed_file(vm, options->kernel, &kernel_size);
    if (!kernel || (options->initrd && !(initrd = handed_file(vm, options->initrd, &initrd_size)))) {
        return;
    }
    printf("%s: starting Linux (%s, %llu KiB%s%s) with %llu KiB of RAM: %s\n", vm->name, options->kernel,
           (unsigned long long)(kernel_size >> 10), options->initrd ? ", initrd " : "",
           options->initrd ? options->initrd : "", (unsigned long long)(options->ram_size >> 10),
           options->command_line);
    if (!create_vm(vm, options->ram_size) || !add_devices(machine, false)) {
        return;
    }
    vm->unclaimed_ports_float = true;
    vm->unknown_msrs_ignored = true;
    const char *refused = arch_platform_init(vm, capability_named("factory"), PLATFORM_GATE_SLOT);
    if (refused) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: platform: %s", refused);
        return;
    }
    serial_connect_interrupt(&machine->serial, raise_serial_interrupt, vm);
    if (options->shutdown_after_line) {
        control_shutdown_after_line(&machine->shutdown_trigger, &machine->serial.output, vm,
                                    options->shutdown_after_line);
    }
    if (!add_virtio(machine, options)) {
        return;
    }
    /* Linux cannot measure the TSC without a reference timer of its own: it is told the rate. */
    static char command_line[COMMAND_LINE_SIZE + 64];
    snprintf(command_line, sizeof(command_line), "%s tsc_early_khz=%llu", options->command_line,
             (unsigned long long)arch_platform_tsc_khz(vm));
    refused = arch_linux_setup(vm, kernel, kernel_size, initrd, initrd_size, command_line);
    if (refused) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: Linux: %s", refused);
        return;
    }
    vcpu_loop_run(vm);
}

/*
 * What the VM costs besides its guest RAM, for the density and overhead figures: the kernel objects charged to
 * the uvmm's factory (Vm, vCPU, nested page tables, mapping records of guest RAM) and the uvmm's heap in use
 * besides guest RAM (devices, disk copies, buffers). The uvmm's own task, page tables and image are charged to
 * its app quota, which the root task reports when the app ends.
 */
static void report_resources(const struct vm *vm)
{
    uint64_t factory = capability_named("factory"), quota = 0, used = 0;
    if (!vm->capability || !factory || factory_info(factory, &quota, &used) != ERROR_NONE) {
        return;
    }
    struct mallinfo heap = mallinfo();
    uint64_t heap_besides_ram = (uint64_t)heap.uordblks > vm->ram.size ? (uint64_t)heap.uordblks - vm->ram.size : 0;
    printf("resources: %llu KiB of guest RAM; besides it, kernel objects %llu KiB (of a %llu KiB factory quota), uvmm "
           "heap in use %llu KiB\n",
           (unsigned long long)(vm->ram.size >> 10), (unsigned long long)(used >> 10),
           (unsigned long long)(quota >> 10), (unsigned long long)(heap_besides_ram >> 10));
}

int main(int argc, char **argv)
{
    static struct machine machine;
    struct options options;
    struct vm *vm = &machine.vm;
    bool arguments_valid = parse_options(argc, argv, &options);
    vm->name = options.name;
    const struct guest_image *image = arguments_valid ? guest_image_find(options.guest) : NULL;
    uint64_t boot_argument = 0;
    if (!arguments_valid) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: invalid arguments");
    } else if (options.guest && strcmp(options.guest, LINUX_GUEST) == 0) {
        run_linux(&machine, &options);
    } else if (!image) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: no built-in guest image \"%s\"", options.guest);
    } else if (image->scenarios && !options.scenario) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: %s needs --scenario", image->name);
    } else if (options.scenario && !(boot_argument = guest_image_scenario(image, options.scenario))) {
        vm_end(vm, VMM_STATUS_SETUP_FAILED, "not started: %s has no scenario \"%s\"", image->name, options.scenario);
    } else {
        printf("%s: starting %s%s%s%s with %llu KiB of RAM\n", vm->name, image->name,
               options.scenario ? " (scenario " : "", options.scenario ? options.scenario : "",
               options.scenario ? ")" : "", (unsigned long long)(options.ram_size >> 10));
        if (create_vm(vm, options.ram_size) && add_devices(&machine, true) && add_virtio(&machine, &options) &&
            load_guest(vm, image, boot_argument)) {
            vcpu_loop_run(vm);
        }
    }
    serial_flush(&machine.serial);
    virtio_devices_stop(&machine.virtio);
    virtio_devices_report(&machine.virtio);
    report_resources(vm);
    if (vm->capability) {
        vcpu_loop_report_exits(vm);
    }
    printf("%s: VM ended: %s\n", vm->name, vm->end_reason);
    return vm->status;
}

/* vm create's arguments, the CreateVmRequest built from them, and creating one VM on a host; shared by the
 * one-host command and the fleet's --spread. */
#ifndef KAPSELCTL_VM_CREATE_H
#define KAPSELCTL_VM_CREATE_H

#include "command.h"
#include "image_push.h"

#define VM_CREATE_MAX_DISKS 8
#define VM_CREATE_MAX_LABELS 32
#define LABEL_KEY_BYTES 128
#define VM_CREATE_DEFAULT_MEMORY_MIB 256

struct label_argument {
    char key[LABEL_KEY_BYTES];
    const char *value;
};

struct vm_create_args {
    struct image_reference kernel;
    struct image_reference initrd;
    bool has_initrd;
    const char *command_line;
    uint32_t memory_mib;
    uint32_t vcpus;
    uint32_t network_id;
    struct image_reference disks[VM_CREATE_MAX_DISKS];
    bool disk_read_only[VM_CREATE_MAX_DISKS];
    size_t disk_count;
    struct label_argument labels[VM_CREATE_MAX_LABELS];
    size_t label_count;
    const char *tenant;
    const char *id;
    bool start;
    uint32_t spread; /* 0: not given */
};

/* Parses vm create's options: EXIT_OK, EXIT_USAGE (printed) or COMMAND_DONE (help printed). */
int vm_create_parse(const struct cli *cli, const struct command *command, int argc, char **argv, int first,
                    struct vm_create_args *args);

/* A CreateVmRequest and the storage its pointers point into (do not copy it once built). */
struct vm_create_request {
    Kapsel__V1__CreateVmRequest request;
    Kapsel__V1__Vm vm;
    Kapsel__V1__VmSpec spec;
    Kapsel__V1__Disk disks[VM_CREATE_MAX_DISKS];
    Kapsel__V1__Disk *disk_pointers[VM_CREATE_MAX_DISKS];
    Kapsel__V1__Vm__LabelsEntry labels[VM_CREATE_MAX_LABELS];
    Kapsel__V1__Vm__LabelsEntry *label_pointers[VM_CREATE_MAX_LABELS];
    char vm_id[RESOURCE_NAME_BYTES];
};

/* Builds the request from resolved arguments (every image a name). spread_number 1..N names the VM "<id>-<n>" when
 * an id was given; 0: the id as it is. */
void vm_create_request_build(const struct vm_create_args *args, uint32_t spread_number,
                             struct vm_create_request *built);

/* Pushes the arguments' local files (once: they become names), creates the VM and starts it if asked. Returns the
 * status code; *vm is the last answer (created or started VM). */
int vm_create_on_host(const struct cli *cli, struct kapsel_client *client, struct vm_create_args *args,
                      uint32_t spread_number, bool show_progress, Kapsel__V1__Vm **vm, struct push_outcome *outcome);

#endif

/*
 * The root task: the first user program. It reads the boot manifest
 * (manifest.txt in the boot modules), starts every Micro-App it lists, and
 * then serves them forever as their pager and log service, and starts more for
 * apps that hold a launcher capability (launch_service.h).
 */
#include "boot_modules.h"
#include "launch_service.h"
#include "manifest.h"
#include "microapp.h"
#include "root_memory.h"
#include "server.h"

#include <kapsel/runtime.h>
#include <stdio.h>

#define MANIFEST_FILE "manifest.txt"

/* Large, so not on the 64 KiB stack; the apps point into the manifest for as long as they live. */
static struct manifest manifest;
static struct manifest_error manifest_error;
static struct microapp apps[MANIFEST_MAX_APPS];

static enum error read_manifest(const struct root_boot_info *boot_info)
{
    struct boot_file file;
    const char *reason = NULL;
    enum error error = boot_modules_find(boot_info, MANIFEST_FILE, &file, &reason);
    if (error != ERROR_NONE) {
        printf("roottask: cannot read %s: %s (%s)\n", MANIFEST_FILE, error_name(error), reason);
        return error;
    }
    error = manifest_parse((const char *)file.data, file.size, &manifest, &manifest_error);
    if (error != ERROR_NONE) {
        printf("roottask: %s; no Micro-App is started\n", manifest_error.message);
    }
    return error;
}

/* The three start steps (microapp.h), each over every app that passed the one before. */
static size_t start_apps(const struct root_boot_info *boot_info)
{
    size_t count = manifest.app_count;
    for (size_t i = 0; i < count; i++) {
        apps[i] = (struct microapp){.manifest = &manifest.apps[i], .index = i, .apps = apps, .app_count = count};
        microapp_create(&apps[i], boot_info);
    }
    for (size_t i = 0; i < count; i++) {
        if (apps[i].state == MICROAPP_CREATED) {
            microapp_grant(&apps[i], apps, count);
        }
    }
    size_t started = 0;
    for (size_t i = 0; i < count; i++) {
        if (apps[i].state == MICROAPP_GRANTED && microapp_run(&apps[i]) == ERROR_NONE) {
            started++;
        }
    }
    return started;
}

int root_main(const struct root_boot_info *boot_info)
{
    printf("roottask: %llu boot modules, command line '%.*s'\n", (unsigned long long)boot_info->module_count,
           (int)sizeof(boot_info->command_line), boot_info->command_line);
    if (read_manifest(boot_info) != ERROR_NONE) {
        return 1;
    }
    printf("roottask: %llu KiB of memory free\n", (unsigned long long)root_free_memory_kib());
    size_t started = start_apps(boot_info);
    printf("roottask: %zu of %zu Micro-Apps started\n", started, manifest.app_count);
    launch_service_init(apps, MANIFEST_MAX_APPS, &manifest, boot_info);
    server_run(apps, MANIFEST_MAX_APPS);
}

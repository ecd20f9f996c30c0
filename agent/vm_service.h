/*
 * VmService (api/kapsel/v1/vm_service.proto) over lib/grpc and the VM registry: requests decoded with protobuf-c
 * into the registry's plain structs, its records encoded into Vm messages, its errors passed on as they are.
 *
 *   CreateVm, StartVm, StopVm, DeleteVm, GetVm, ListVms   unary, answered within the call.
 *   WatchVms       an ADDED event per VM the filter selects, then every event of those VMs as the registry emits it.
 *                  A watcher whose send queue is full (a client that does not read) is ended with
 *                  RESOURCE_EXHAUSTED at once: the registry never waits for a client.
 *   StreamConsole  the VM's kept history (unless skip_history), then, unless no_follow, its output as the backend
 *                  reports it, in ConsoleChunks of at most VM_CONSOLE_CHUNK_BYTES; ends OK once the VM has ended
 *                  (or was deleted) and all of it is queued. A full queue ends it with RESOURCE_EXHAUSTED.
 */
#ifndef AGENT_VM_SERVICE_H
#define AGENT_VM_SERVICE_H

#include <kapsel/grpc_server.h>

#define VM_SERVICE_METHOD_COUNT 8

/* A watcher's send queue: the initial ADDED events of every VM at its limits (64 of about 3.3 KiB) and room for the
 * events that follow while the client reads. */
#define VM_WATCH_SEND_QUEUE_BYTES (512u * 1024)

/* A console stream's send queue: the whole history (64 KiB) in one go, and as much again three times for output
 * that comes while the client reads. */
#define VM_CONSOLE_SEND_QUEUE_BYTES (256u * 1024)

/* The largest ConsoleChunk.data. */
#define VM_CONSOLE_CHUNK_BYTES (16u * 1024)

struct agent_api;

/* Writes VmService's methods ("/kapsel.v1.VmService/CreateVm", ...), each with context api. */
void vm_service_methods(struct agent_api *api, struct grpc_method methods[VM_SERVICE_METHOD_COUNT]);

#endif

/* VmService's unary methods. */
#include "unary_call.h"

#define VM_METHOD(name, request_type, response_type, retried)                                                          \
    static const struct rpc_method name = {                                                                            \
        .path = "/kapsel.v1.VmService/" #name,                                                                         \
        .request = &kapsel__v1__##request_type##__descriptor,                                                          \
        .response = &kapsel__v1__##response_type##__descriptor,                                                        \
        .idempotent = retried,                                                                                         \
    }

VM_METHOD(CreateVm, create_vm_request, vm, false);
VM_METHOD(StartVm, start_vm_request, vm, false);
VM_METHOD(StopVm, stop_vm_request, vm, false);
VM_METHOD(DeleteVm, delete_vm_request, delete_vm_response, true);
VM_METHOD(GetVm, get_vm_request, vm, true);
VM_METHOD(ListVms, list_vms_request, list_vms_response, true);

int kapsel_create_vm(struct kapsel_client *client, const Kapsel__V1__CreateVmRequest *request,
                     const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status)
{
    return unary_call(client, &CreateVm, (const ProtobufCMessage *)request, call_options, (ProtobufCMessage **)vm,
                      status);
}

int kapsel_start_vm(struct kapsel_client *client, const Kapsel__V1__StartVmRequest *request,
                    const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status)
{
    return unary_call(client, &StartVm, (const ProtobufCMessage *)request, call_options, (ProtobufCMessage **)vm,
                      status);
}

int kapsel_stop_vm(struct kapsel_client *client, const Kapsel__V1__StopVmRequest *request,
                   const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status)
{
    return unary_call(client, &StopVm, (const ProtobufCMessage *)request, call_options, (ProtobufCMessage **)vm,
                      status);
}

int kapsel_delete_vm(struct kapsel_client *client, const Kapsel__V1__DeleteVmRequest *request,
                     const struct kapsel_call_options *call_options, struct kapsel_status *status)
{
    return unary_call(client, &DeleteVm, (const ProtobufCMessage *)request, call_options, NULL, status);
}

int kapsel_get_vm(struct kapsel_client *client, const Kapsel__V1__GetVmRequest *request,
                  const struct kapsel_call_options *call_options, Kapsel__V1__Vm **vm, struct kapsel_status *status)
{
    return unary_call(client, &GetVm, (const ProtobufCMessage *)request, call_options, (ProtobufCMessage **)vm, status);
}

int kapsel_list_vms(struct kapsel_client *client, const Kapsel__V1__ListVmsRequest *request,
                    const struct kapsel_call_options *call_options, Kapsel__V1__ListVmsResponse **response,
                    struct kapsel_status *status)
{
    return unary_call(client, &ListVms, (const ProtobufCMessage *)request, call_options, (ProtobufCMessage **)response,
                      status);
}

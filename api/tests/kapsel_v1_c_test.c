/* The C messages generated from api/kapsel/v1 with protobuf-c's runtime on the host, under ASan/UBSan. */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include "round_trip.h"

#include "kapsel/v1/host_service.pb-c.h"
#include "kapsel/v1/vm_service.pb-c.h"

#include <string.h>

static void round_trip_matches(void **state)
{
    (void)state;
    const char *failure = kapsel_v1_round_trip();
    if (failure) {
        fail_msg("%s", failure);
    }
}

/* Enums keep the numbers of the .proto, which clients on the wire depend on. */
static void enum_values_match_the_proto(void **state)
{
    (void)state;
    assert_int_equal(KAPSEL__V1__VM_STATE__CREATED, 1);
    assert_int_equal(KAPSEL__V1__VM_STATE__FAILED, 5);
    assert_int_equal(KAPSEL__V1__VM_EVENT__TYPE__DELETED, 3);
    assert_int_equal(KAPSEL__V1__HEALTH_RESPONSE__SERVING_STATUS__SERVING, 1);
}

/* The service descriptors name the methods as gRPC paths do (/kapsel.v1.VmService/CreateVm). */
static void service_descriptors_name_the_methods(void **state)
{
    (void)state;
    assert_string_equal(kapsel__v1__host_service__descriptor.name, "kapsel.v1.HostService");
    assert_int_equal(kapsel__v1__host_service__descriptor.n_methods, 2);
    assert_string_equal(kapsel__v1__host_service__descriptor.methods[0].name, "GetHostInfo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_matches),
        cmocka_unit_test(enum_values_match_the_proto),
        cmocka_unit_test(service_descriptors_name_the_methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

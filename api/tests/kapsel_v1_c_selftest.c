/* Proof that a Micro-App compiles and links the C messages generated from api/kapsel/v1 (//api:kapsel_v1_c) with
 * protobuf-c's runtime (//build/bazel/protobuf_c:protobuf_c): runs the round trip and exits 0 when it matched. */
#include "round_trip.h"

#include <stdio.h>

int main(void)
{
    const char *failure = kapsel_v1_round_trip();
    printf("kapsel_v1_c_selftest: %s\n", failure ? failure : "round trip matched");
    return failure ? 1 : 0;
}

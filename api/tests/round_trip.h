/*
 * One check of the C messages generated from api/kapsel/v1 (//api:kapsel_v1_c) and protobuf-c's runtime, shared by
 * the host unit test and the Micro-App self test so that both builds run exactly the same code.
 */
#ifndef API_TESTS_ROUND_TRIP_H
#define API_TESTS_ROUND_TRIP_H

/* Packs known messages and compares with their wire bytes, unpacks them and compares every field, and refuses a
 * truncated message; NULL when everything matched, else what did not. */
const char *kapsel_v1_round_trip(void);

#endif

/* kapselctl's exit codes: stable, documented in docs/cli.md. */
#ifndef KAPSELCTL_EXIT_CODES_H
#define KAPSELCTL_EXIT_CODES_H

enum exit_code {
    EXIT_OK = 0,
    EXIT_API_ERROR = 1,      /* the host answered with an error status (its gRPC code name is printed) */
    EXIT_USAGE = 2,          /* bad command line or fleet file */
    EXIT_UNREACHABLE = 3,    /* the host cannot be reached (UNAVAILABLE) */
    EXIT_LOCAL_ERROR = 4,    /* a local file cannot be read, or memory ran out */
    EXIT_FLEET_PARTIAL = 5,  /* --fleet: some hosts failed, others succeeded */
    EXIT_FLEET_FAILED = 6,   /* --fleet: every host failed */
    EXIT_NOT_AVAILABLE = 7,  /* the host does not implement the feature: attest to an agent without attestation */
    EXIT_NOT_SERVING = 8,    /* host health: the host answered, and is not serving */
    EXIT_NOT_AUTHORIZED = 9, /* the host wants another token: UNAUTHENTICATED or PERMISSION_DENIED */
    EXIT_NOT_ATTESTED = 10,  /* attest: the evidence does not verify, or an --expect-* is not met */
};

#endif

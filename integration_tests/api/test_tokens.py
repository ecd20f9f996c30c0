"""The test tokens file's form: "<token> <tenant>" or "<token> *" lines (integration_tests/api_system/test_tokens.txt),
read by the API tests, the benchmark and the boot tests; no gRPC needed (boot_tests.py runs without it)."""


def read_tokens(path):
    """The operator's token and {tenant: token} from a test tokens file."""
    operator, tenants = None, {}
    with open(path) as file:
        for line in file:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            token, tenant = words
            if tenant == "*":
                operator = token
            else:
                tenants[tenant] = token
    if operator is None:
        raise SystemExit("%s names no operator's token" % path)
    return operator, tenants

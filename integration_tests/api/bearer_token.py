"""API tokens for the test and benchmark clients (integration_tests/api/api_tests.py, benchmarks/api.py): the test
tokens file's form ("<token> <tenant>" or "<token> *" lines, integration_tests/api_system/test_tokens.txt) and a
channel interceptor that sends "authorization: Bearer <token>" with every call (agent/api_tokens.h)."""

import grpc


class BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                  grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds "authorization: Bearer <token>" to every call of a channel."""

    def __init__(self, token):
        self.metadata = ("authorization", "Bearer " + token)

    def _with_token(self, details):
        # grpcio's call details are a namedtuple.
        return details._replace(metadata=list(details.metadata or []) + [self.metadata])

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)


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

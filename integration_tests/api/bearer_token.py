"""The test and benchmark clients' channel interceptor (integration_tests/api/api_tests.py, benchmarks/api.py): it
sends "authorization: Bearer <token>" with every call (agent/api_tokens.h). The tokens come from test_tokens.py."""

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

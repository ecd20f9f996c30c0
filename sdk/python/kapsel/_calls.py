"""Deadlines and retries of the SDK's calls.

Every unary call has a deadline: the ``timeout`` given to the method, or the Host's default. It covers all
attempts of the call together. Calls the SDK knows to be idempotent (reads, and image uploads, which are
content-addressed) are retried when they fail with UNAVAILABLE, with exponential backoff and jitter, as long as
attempts and time remain; everything else is tried once.
"""

import random
import time
from dataclasses import dataclass

import grpc

from . import errors

__all__ = ["RetryPolicy", "NO_RETRY", "DEFAULT"]


class _Default:
    """The value of a ``timeout`` argument that was not given: the Host's default applies."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "DEFAULT"

    def __reduce__(self):
        return (_Default, ())


DEFAULT = _Default()


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent calls are retried on UNAVAILABLE.

    attempts: tries in all, the first included (1: no retries).
    initial_backoff, max_backoff: seconds before the first retry, and the most between two tries.
    multiplier: how the backoff grows from one retry to the next.
    jitter: the fraction of each backoff that is random (0.2: between 80 % and 100 % of it).
    """

    attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0
    jitter: float = 0.2

    def __post_init__(self):
        if not isinstance(self.attempts, int) or isinstance(self.attempts, bool) or self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be an int of at least 1, not %r" % (self.attempts,))
        for name in ("initial_backoff", "max_backoff", "multiplier", "jitter"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError("RetryPolicy.%s must be a number of at least 0, not %r" % (name, value))
        if self.jitter > 1:
            raise ValueError("RetryPolicy.jitter must be at most 1, not %r" % (self.jitter,))

    def backoff(self, retry, rand=random.random):
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        delay = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry - 1))
        return delay * (1.0 - self.jitter * rand())


NO_RETRY = RetryPolicy(attempts=1)


def check_timeout(timeout, what="timeout"):
    """Accepts DEFAULT, None (no deadline) or a positive number of seconds."""
    if timeout is DEFAULT or timeout is None:
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("%s must be a number of seconds or None, not %r" % (what, timeout))
    if not timeout > 0:
        raise ValueError("%s must be more than 0 seconds, not %r" % (what, timeout))
    return float(timeout)


class Invoker:
    """Runs calls with a deadline and the retry policy, and turns gRPC errors into ``kapsel.ApiError``.

    ``clock``, ``sleep`` and ``rand`` are there for the unit tests.
    """

    def __init__(self, timeout, retry, clock=time.monotonic, sleep=time.sleep, rand=random.random):
        self.timeout = check_timeout(timeout, "Host's timeout")
        if self.timeout is DEFAULT:
            raise ValueError("the Host's timeout must be a number of seconds or None")
        if not isinstance(retry, RetryPolicy):
            raise TypeError("retry must be a kapsel.RetryPolicy, not %r" % (retry,))
        self.retry = retry
        self.clock = clock
        self.sleep = sleep
        self.rand = rand

    def resolve(self, timeout):
        """The timeout a call gets: its own, or the Host's default."""
        timeout = check_timeout(timeout)
        return self.timeout if timeout is DEFAULT else timeout

    def call(self, method, attempt, *, timeout=DEFAULT, idempotent=False):
        """Runs ``attempt(timeout_seconds_or_None)`` until it returns, retrying UNAVAILABLE if idempotent.

        method: "Service.Method", for the error. Raises the ApiError of the last failure.
        """
        timeout = self.resolve(timeout)
        deadline = None if timeout is None else self.clock() + timeout
        tries = 0
        while True:
            tries += 1
            left = None
            if deadline is not None:
                left = deadline - self.clock()
                if left <= 0:
                    raise errors.DeadlineExceeded("no time left for attempt %d" % tries, method=method)
            try:
                return attempt(left)
            except grpc.RpcError as rpc_error:
                error = errors.from_rpc_error(rpc_error, method)
                pause = self._pause_before_retry(error, idempotent, tries, deadline)
                if pause is None:
                    raise error from rpc_error
            self.sleep(pause)

    def _pause_before_retry(self, error, idempotent, tries, deadline):
        """Seconds to wait before trying again after tries attempts, or None: no retry."""
        if not idempotent or not isinstance(error, errors.Unavailable) or tries >= self.retry.attempts:
            return None
        pause = self.retry.backoff(tries, self.rand)
        if deadline is not None and self.clock() + pause >= deadline:
            return None
        return pause

"""Failed sign-ins counted in Redis (the ``limits`` library's moving window), per e-mail and
per client address; the address gets ten times the allowance, since an office shares one."""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter


class LoginLimiter:
    def __init__(self, redis_url: str, namespace: str, limit: str):
        self.limiter = MovingWindowRateLimiter(RedisStorage(redis_url))
        self.namespace = namespace
        self.per_email: RateLimitItem = parse(limit)
        self.per_address: RateLimitItem = type(self.per_email)(
            self.per_email.amount * 10, self.per_email.multiples
        )

    def _keys(self, email: str, address: str):
        return (
            (self.per_email, (self.namespace, "login-email", email.strip().lower())),
            (self.per_address, (self.namespace, "login-address", address)),
        )

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until another attempt is allowed; 0 when one is allowed now."""
        wait = 0
        for item, key in self._keys(email, address):
            if not self.limiter.test(item, *key):
                reset = self.limiter.get_window_stats(item, *key).reset_time
                wait = max(wait, int(reset - time.time()) + 1)
        return wait

    def failed(self, email: str, address: str) -> None:
        for item, key in self._keys(email, address):
            self.limiter.hit(item, *key)

    def succeeded(self, email: str) -> None:
        item, key = self._keys(email, "")[0]
        self.limiter.clear(item, *key)

"""When to retry a request and how long to wait first."""

from __future__ import annotations

import email.utils
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

#: Statuses that mean "try again later" without the request having had any effect.
RETRY_SAFE_STATUSES = frozenset({429, 503})
#: Statuses from a gateway: the request may have reached the server and had its effect.
RETRY_UNSAFE_STATUSES = frozenset({502, 504})
#: ``delay-seconds`` of ``Retry-After``: ASCII digits only, unlike ``str.isdigit``.
_DELAY_SECONDS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try a request and how long to wait between tries.

    The wait before try ``n + 1`` is drawn uniformly from
    ``[0, min(max_delay, base_delay * 2 ** (n - 1))]`` ("full jitter"), so many
    clients that failed together do not come back together. A ``Retry-After``
    from the server replaces that wait, up to ``max_retry_after``. Delays are seconds.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must not be negative")

    def delay(self, attempt: int, retry_after: float | None, random: Callable[[], float]) -> float:
        """Return the seconds to wait after failed try ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)

        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling * random()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return a ``Retry-After`` header's wait in seconds, or None when it is missing or invalid.

    The header contains either a number of seconds or an HTTP-date (RFC 9110, 10.2.3);
    a date in the past means "now".
    """
    if value is None:
        return None

    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        return float(text)

    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = (moment - (now or datetime.now(timezone.utc))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None

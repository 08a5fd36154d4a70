"""Credentials on requests: an API key, or a bearer token from a login renewed on 401."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from flowspec.errors import AuthenticationFailed
from flowspec.spec.model import Auth

_log = logging.getLogger(__name__)


class Authenticator:
    """Adds credentials to requests and renews the login token when the server rejects it.

    ``login`` performs ``POST /api/v1/authenticate/login`` and returns a new token.
    Each token has a generation number. When many requests fail with 401 at
    once, only the first to take the lock logs in again, and the others see the
    newer generation and reuse its token.

    A login that the server rejects is not tried again: later requests get the
    same error, so a wrong password costs one failed login, not one per
    request, which could lock the account on servers that count failures.
    """

    def __init__(self, auth: Auth | None, login: Callable[[], Awaitable[str]]) -> None:
        self._auth = auth
        self._login = login
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._generation = 0
        self._rejection: AuthenticationFailed | None = None

    @property
    def uses_api_key(self) -> bool:
        """Whether requests carry an API key (as opposed to a login token, or nothing)."""
        return self._auth is not None and self._auth.api_key is not None

    @property
    def can_renew(self) -> bool:
        """Whether a 401 can be cured by logging in again."""
        return self._auth is not None and self._auth.login is not None

    async def headers(self) -> tuple[dict[str, str], int]:
        """Return the credential headers for a request and the token generation they use."""
        if self._auth is None:
            return {}, self._generation
        if self._auth.api_key is not None:
            key = self._auth.api_key.reveal()
            if not all("!" <= character <= "~" for character in key):
                # httpx would reject the header with an error that quotes the key.
                raise AuthenticationFailed(
                    "the API key contains whitespace, control or non-ASCII characters, which"
                    " the X-API-Key header cannot carry; check how the key was set"
                )
            return {"X-API-Key": key}, self._generation

        if self._token is None:
            await self.renew(self._generation)
        assert self._token is not None  # renew() sets it or raises
        return {"Authorization": f"Bearer {self._token}"}, self._generation

    async def renew(self, rejected_generation: int) -> None:
        """Log in again unless another request already did since ``rejected_generation``."""
        async with self._lock:
            if self._rejection is not None:
                raise AuthenticationFailed(str(self._rejection)) from self._rejection
            if self._token is not None and self._generation != rejected_generation:
                return
            if self._token is not None:
                _log.info("the server rejected the login token; logging in again")

            try:
                self._token = await self._login()
            except AuthenticationFailed as exc:
                self._rejection = exc
                raise
            self._generation += 1

    def redact(self, text: str) -> str:
        """Replace the API key, password and current token in ``text`` with ``********``.

        For server error bodies, which may echo what the request sent.
        """
        for secret in self._secret_values():
            text = text.replace(secret, "********")
        return text

    def _secret_values(self) -> list[str]:
        values = [self._token] if self._token else []
        if self._auth is not None and self._auth.api_key is not None:
            values.append(self._auth.api_key.reveal())
        if self._auth is not None and self._auth.login is not None:
            values.append(self._auth.login.password.reveal())
        # Longest first, so a secret that contains another is replaced whole.
        return sorted((value for value in values if value), key=len, reverse=True)

    def __repr__(self) -> str:
        kind = "none"
        if self.uses_api_key:
            kind = "api-key"
        elif self.can_renew:
            kind = "login"
        return f"Authenticator({kind}, generation={self._generation})"

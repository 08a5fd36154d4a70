"""API keys and JWT-shaped bearer tokens (HS256, signed with a secret made per app)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flowspec.emulator.project import User


class Unauthorized(Exception):
    """The request carries no usable credentials; the message gives the reason, never the secret."""


@dataclass(frozen=True)
class Credentials:
    """Header values a request sent for authentication."""

    api_key: str | None
    authorization: str | None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    """Map API keys and bearer tokens to users; issue tokens that expire by the app's clock.

    ``epoch`` returns the current Unix time by the emulator's clock, so a test
    that moves the injected clock also expires tokens.
    """

    def __init__(self, users: tuple[User, ...], epoch: Callable[[], float]) -> None:
        self._users = {user.username: user for user in users}
        self._keys = {key.reveal(): user for user in users for key in user.api_keys}
        self._epoch = epoch
        self._secret = secrets.token_bytes(32)

    def login(self, username: str, password: str) -> User | None:
        """Return the user when ``password`` is theirs, else None."""
        user = self._users.get(username)
        if user is None or user.password is None:
            return None
        if not hmac.compare_digest(user.password.reveal().encode(), password.encode()):
            return None
        return user

    def issue(self, user: User, scope: str, lifetime: float) -> str:
        """Return a signed token for ``user`` that expires ``lifetime`` seconds from now."""
        issued = self._epoch()
        header = {"alg": "HS256", "typ": "JWT"}
        payload = {
            "sub": user.username,
            "scope": scope,
            "iat": int(issued),
            "exp": issued + lifetime,
            "jti": secrets.token_hex(8),
        }
        signing_input = ".".join(
            _b64encode(json.dumps(part).encode()) for part in (header, payload)
        )
        return f"{signing_input}.{_b64encode(self._sign(signing_input))}"

    def _sign(self, signing_input: str) -> bytes:
        return hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()

    def authenticate(self, credentials: Credentials) -> User:
        """Return the user the credentials belong to; raise ``Unauthorized`` when there is none."""
        if credentials.api_key is not None:
            user = self._keys.get(credentials.api_key)
            if user is None:
                raise Unauthorized("invalid API key")
            return user
        if credentials.authorization is not None:
            return self._from_bearer(credentials.authorization)
        raise Unauthorized("missing credentials: send an X-API-Key or Authorization: Bearer header")

    def _from_bearer(self, authorization: str) -> User:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        payload = self._verified_payload(token.strip())
        if float(payload.get("exp", 0)) <= self._epoch():
            raise Unauthorized("the token has expired: log in again")
        user = self._users.get(str(payload.get("sub")))
        if user is None:
            raise Unauthorized("the token names an unknown user")
        return user

    def _verified_payload(self, token: str) -> Mapping[str, Any]:
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthorized("malformed token")
        expected = self._sign(f"{parts[0]}.{parts[1]}")
        try:
            signature = _b64decode(parts[2])
            payload = json.loads(_b64decode(parts[1]))
        except (ValueError, UnicodeDecodeError) as exc:
            raise Unauthorized("malformed token") from exc
        if not hmac.compare_digest(signature, expected) or not isinstance(payload, dict):
            raise Unauthorized("invalid token signature")
        return payload

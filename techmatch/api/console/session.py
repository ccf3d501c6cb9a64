"""Console sessions: an HMAC-signed cookie naming the role of the key used to log in.

The key itself is never stored: the cookie carries (session id, role, key id, CSRF token,
expiry) signed with a secret kept in `<home>/console-secret` (created once, mode 0600), so
every worker of one home accepts the same sessions. Logout revokes the session id in this
process and clears the cookie; expiry bounds a cookie copied before logout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from techmatch.api.security import Principal

SESSION_COOKIE = "tm_session"
LOGIN_COOKIE = "tm_login_csrf"
SECRET_FILE = "console-secret"
DEFAULT_TTL_SECONDS = 8 * 3600


@dataclass(frozen=True)
class StaffSession:
    """A logged-in staff member: role and key id (never the key), CSRF token, expiry."""

    sid: str
    role: str
    key_id: str
    csrf: str
    expires: float

    @property
    def principal(self) -> Principal:
        return Principal(self.role, self.key_id)

    @property
    def can_write(self) -> bool:
        return self.principal.allows("write")


def load_secret(home: Path) -> bytes:
    """The home's console secret, created on first use (32 random bytes, owner-only)."""
    path = home / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Issues, reads and revokes signed session cookies."""

    def __init__(self, secret: bytes, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, principal: Principal, *, now: float | None = None) -> tuple[str, StaffSession]:
        """(cookie value, session) for a freshly authenticated principal."""
        now = time.time() if now is None else now
        session = StaffSession(sid=secrets.token_urlsafe(16), role=principal.role,
                               key_id=principal.key_id, csrf=secrets.token_urlsafe(24),
                               expires=now + self.ttl_seconds)
        payload = _b64(json.dumps([session.sid, session.role, session.key_id, session.csrf,
                                   session.expires]).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}", session

    def read(self, value: str | None, *, now: float | None = None) -> StaffSession | None:
        """The session of a cookie value, or None when unsigned, tampered, expired or revoked."""
        if not value or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            sid, role, key_id, csrf, expires = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        now = time.time() if now is None else now
        if float(expires) <= now or sid in self._revoked:
            return None
        return StaffSession(str(sid), str(role), str(key_id), str(csrf), float(expires))

    def revoke(self, session: StaffSession) -> None:
        """Refuse this session from now on (in this process; expiry bounds the others)."""
        with self._lock:
            now = time.time()
            self._revoked = {s: e for s, e in self._revoked.items() if e > now}
            self._revoked[session.sid] = session.expires


def tokens_equal(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted CSRF token with the expected one."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())

"""Console sessions: an HMAC-signed cookie naming the role of the key used to log in.

The key itself is never stored: the cookie carries (session id, role, key id, CSRF token,
expiry) signed with a secret kept in `<home>/console-secret` (created once, mode 0600), so
every worker of one home accepts the same sessions. Logout revokes the session id and clears
the cookie; revocations are kept in `<home>/console-revoked` (mode 0600, expired ones dropped),
so every worker of the home, and the next start, refuse a cookie copied before logout.
"""

from __future__ import annotations

import base64
import fcntl
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
REVOKED_FILE = "console-revoked"
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

    def __init__(self, secret: bytes, ttl_seconds: int = DEFAULT_TTL_SECONDS, *,
                 home: Path | None = None) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()
        self._file = home / REVOKED_FILE if home is not None else None
        self._seen: tuple[int, int] | None = None  # (mtime ns, size) of the file last read

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
        if float(expires) <= now or sid in self._revoked_now():
            return None
        return StaffSession(str(sid), str(role), str(key_id), str(csrf), float(expires))

    def revoke(self, session: StaffSession, *, now: float | None = None) -> None:
        """Refuse this session from now on, in every worker of the home and after a restart."""
        now = time.time() if now is None else now
        with self._lock:
            self._revoked = {s: e for s, e in self._revoked.items() if e > now}
            self._revoked[session.sid] = session.expires
            if self._file is not None:
                self._revoked = _store_revoked(self._file, self._revoked, now)

    def _revoked_now(self) -> dict[str, float]:
        """The revoked sessions, read again when another worker (or run) changed the file."""
        if self._file is None:
            return self._revoked
        try:
            stat = self._file.stat()
        except FileNotFoundError:
            return self._revoked
        if (stat.st_mtime_ns, stat.st_size) != self._seen:
            with self._lock:
                self._revoked = {**self._revoked, **_parse_revoked(
                    self._file.read_text(encoding="ascii"))}
                self._seen = (stat.st_mtime_ns, stat.st_size)
        return self._revoked


def _parse_revoked(text: str) -> dict[str, float]:
    """`sid expires` lines → {sid: expires}; a damaged line is skipped."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        sid, _, expires = line.partition(" ")
        try:
            found[sid] = float(expires)
        except ValueError:
            continue
    return found


def _store_revoked(path: Path, revoked: dict[str, float], now: float) -> dict[str, float]:
    """Merge `revoked` into the home's file under an exclusive lock (workers revoke at once),
    dropping expired entries; returns the merged set."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        merged = {s: e for s, e in {**_parse_revoked(handle.read()), **revoked}.items()
                  if e > now}
        handle.seek(0)
        handle.truncate()
        handle.write("".join(f"{s} {e!r}\n" for s, e in sorted(merged.items())))
    return merged


def tokens_equal(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted CSRF token with the expected one."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())

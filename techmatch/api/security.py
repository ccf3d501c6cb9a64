"""API keys (header X-API-Key) with roles read < write < admin; keys are configured hashed.

`Settings.api_keys` holds `role:sha256hex,role:sha256hex`, where the hex is
`hashlib.sha256(key.encode()).hexdigest()`. A presented key is hashed and compared with every
configured hash with `hmac.compare_digest` (no early exit), so timing says nothing about keys.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from techmatch.errors import ConfigError, coded

ROLES: tuple[str, ...] = ("read", "write", "admin")
ROLE_LABELS = {"read": "只读", "write": "编辑", "admin": "管理员"}  # what staff read (zh-CN)
_RANK = {role: i for i, role in enumerate(ROLES)}
_HEX = re.compile(r"^[0-9a-f]{64}$")
HEADER = "X-API-Key"

api_key_header = APIKeyHeader(name=HEADER, auto_error=False, scheme_name="ApiKey",
                              description="平台工作人员的 API 密钥 (roles: read / write / admin)")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the role of the matching key and a short, non-secret key id."""

    role: str
    key_id: str

    def allows(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]

    @property
    def sees_confidential(self) -> bool:
        """Confidential needs and contact fields are visible to write and admin keys only."""
        return self.allows("write")

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.key_id}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe)."""
    return "tm_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KeyRing:
    """Configured (role, sha256 hex) pairs."""

    entries: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Parse `role:sha256hex,...`; a malformed entry raises ConfigError naming it."""
        entries = []
        for n, raw in enumerate(part.strip() for part in spec.split(",")):
            if not raw:
                continue
            role, colon, digest = raw.partition(":")
            role, digest = role.strip().lower(), digest.strip().lower()
            where = f"TECHMATCH_API_KEYS 第 {n + 1} 项"
            if not colon:  # never echoed: it may be a key pasted in place of its entry
                raise ConfigError(f"{where}应写作 角色:sha256摘要（用 techmatch api-key 生成"
                                  f"配置项），不是密钥本身")
            if role not in _RANK:
                roles = coded(ROLES, ROLE_LABELS)
                raise ConfigError(f"{where}：未知角色 {role}（可选：{roles}）")
            if not _HEX.match(digest):
                raise ConfigError(f"{where}：{role}: 之后应为 64 位十六进制的 sha256 摘要"
                                  f"（用 techmatch api-key 生成）")
            entries.append((role, digest))
        return cls(tuple(entries))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def authenticate(self, key: str) -> Principal | None:
        """The highest role whose hash equals the key's hash, compared in constant time."""
        presented = hash_key(key).encode("ascii")
        best: str | None = None
        key_id = ""
        for role, digest in self.entries:
            if hmac.compare_digest(presented, digest.encode("ascii")) and (
                    best is None or _RANK[role] > _RANK[best]):
                best, key_id = role, digest[:8]
        return Principal(best, key_id) if best else None


async def authenticate(request: Request,
                       key: Annotated[str | None, Security(api_key_header)] = None
                       ) -> Principal:
    """The caller, from the X-API-Key header; 401 without a valid key. `async` although it
    never awaits: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
    request for a hash and a compare."""
    auth = request.app.state.tm
    if auth.anonymous:
        return Principal("admin", "anonymous")
    if not key:
        raise HTTPException(401, f"缺少 API 密钥：请在请求头 {HEADER} 中提供",
                            headers={"WWW-Authenticate": HEADER})
    principal = auth.keyring.authenticate(key)
    if principal is None:
        raise HTTPException(401, "API 密钥无效：请检查密钥是否正确、是否仍在配置中",
                            headers={"WWW-Authenticate": HEADER})
    return principal


def require(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting callers whose role is at least `role` (403 otherwise)."""
    if role not in _RANK:
        raise ValueError(f"unknown role {role!r}; valid: {', '.join(ROLES)}")

    async def check(principal: Annotated[Principal, Security(authenticate)]) -> Principal:
        if not principal.allows(role):
            # the role codes stay beside their labels: clients and docs name roles by code
            higher = "" if role == ROLES[-1] else "或更高"
            raise HTTPException(403, f"此操作需要{ROLE_LABELS[role]}（{role}）{higher}权限的"
                                     f"密钥，当前密钥为{ROLE_LABELS[principal.role]}"
                                     f"（{principal.role}）")
        return principal

    check.__name__ = f"require_{role}"
    return check

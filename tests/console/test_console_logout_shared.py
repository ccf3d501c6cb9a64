"""退出 revoked the session in the serving process only: a copied cookie still opened the
console on the other workers of `techmatch serve --workers 2`, and on every worker again after
a restart. Revocations are now kept in `<home>/console-revoked` (owner-only) beside the
console secret, so every worker of the home, and the next start, refuse a logged-out cookie."""

from __future__ import annotations

from pathlib import Path

from techmatch.api.console.session import SessionCodec, load_secret
from techmatch.api.security import Principal


def test_a_revocation_reaches_other_workers_and_survives_a_restart(tmp_path: Path) -> None:
    secret = load_secret(tmp_path)
    one, two = SessionCodec(secret, 600, home=tmp_path), SessionCodec(secret, 600, home=tmp_path)
    value, session = one.issue(Principal("write", "abcd1234"))
    other, _ = one.issue(Principal("read", "abcd1234"))
    assert two.read(value) == session
    one.revoke(session)
    assert one.read(value) is None and two.read(value) is None
    restarted = SessionCodec(secret, 600, home=tmp_path)
    assert restarted.read(value) is None
    assert restarted.read(other) is not None  # only the revoked session
    assert (tmp_path / "console-revoked").stat().st_mode & 0o077 == 0


def test_expired_revocations_are_dropped(tmp_path: Path) -> None:
    codec = SessionCodec(b"k" * 32, 60, home=tmp_path)
    _, old = codec.issue(Principal("read", "abcd1234"), now=1000.0)
    codec.revoke(old, now=1000.0)
    _, new = codec.issue(Principal("read", "abcd1234"), now=5000.0)
    codec.revoke(new, now=5000.0)
    lines = (tmp_path / "console-revoked").read_text(encoding="ascii").split()
    assert old.sid not in lines and new.sid in lines

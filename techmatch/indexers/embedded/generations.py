"""Generations on disk: `<home>/index/<kind>/gen-<n>/`, an atomically replaced `CURRENT`, manifests.

A build writes everything into `tmp-<pid>-<rand>/`, fsyncs every file and the folder, renames
it to `gen-<n>`, fsyncs the parent, then replaces `CURRENT` with `os.replace`. A reader that
opened a generation keeps it: the previous generation is never removed while it is the one
`CURRENT` named last, and only the two newest generations are kept. One build at a time per
kind (an exclusive `flock`, released by the kernel if the builder dies), so leftover `tmp-*`
folders found while holding the lock come from killed builds and are removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from techmatch.config import Settings
from techmatch.errors import IndexError_, IndexMismatchError, IndexMissingError, LockedError
from techmatch.indexers.base import SCHEMA_VERSION
from techmatch.models.records import KIND_LABELS

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KEEP = 2
_GEN = re.compile(r"^gen-(\d+)$")
_SECRET_SETTINGS = {"es_api_key", "es_password", "api_keys"}
FIX = "请运行 `techmatch index --full` 重建"


def _label(kind: str) -> str:
    """需求 / 成果 / 专家: what staff call an index's kind."""
    return KIND_LABELS.get(kind, kind)


@dataclass
class Manifest:
    """What a generation holds and how it was built; `files` maps path → [size, sha256]."""

    kind: str
    encoder_id: str
    encoder_dim: int
    tokenizer_fingerprint: str
    applied_seq: int
    count: int
    next_key: int
    dense_type: str
    schema_version: int = SCHEMA_VERSION
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds"))
    files: dict[str, list[object]] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)

    def save(self, folder: Path) -> None:
        _write_synced(folder / MANIFEST, json.dumps(asdict(self), ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexError_(f"{path}：索引清单无法读取（{exc}）；{FIX}") from exc

    def check(self, *, kind: str, encoder_id: str, encoder_dim: int, fingerprint: str) -> None:
        """Raise IndexMismatchError naming every difference with the running configuration."""
        diffs = []
        if self.schema_version != SCHEMA_VERSION:
            diffs.append(f"结构版本 {self.schema_version}（当前 {SCHEMA_VERSION}）")
        if self.kind != kind:
            diffs.append(f"类别 {self.kind!r}（需要 {kind!r}）")
        if self.encoder_id != encoder_id or self.encoder_dim != encoder_dim:
            diffs.append(f"编码模型 {self.encoder_id!r}/{self.encoder_dim}（当前 "
                         f"{encoder_id!r}/{encoder_dim}）")
        if self.tokenizer_fingerprint != fingerprint:
            diffs.append(f"分词指纹 {self.tokenizer_fingerprint}（当前 {fingerprint}：词典或停用词"
                         f"已改变）")
        if diffs:
            raise IndexMismatchError(f"{kind} 索引的构建配置与当前不同：" + "；".join(diffs)
                                     + f"；{FIX}")


def resolved_settings(settings: Settings) -> dict[str, object]:
    """Settings saved with a generation, secrets left out."""
    return settings.model_dump(mode="json", exclude=_SECRET_SETTINGS)


def kind_dir(settings: Settings, kind: str) -> Path:
    return Path(settings.home) / "index" / kind


def read_current(root: Path) -> str | None:
    """Name of the generation `CURRENT` points to, or None when nothing was published."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def current_folder(root: Path, kind: str) -> Path:
    """Folder of the current generation; IndexMissingError when none was built."""
    name = read_current(root)
    if name is None:
        raise IndexMissingError(f"{_label(kind)}索引尚未建立（{root}）：导入记录后运行 "
                                f"techmatch index")
    folder = root / name
    if not folder.is_dir():
        raise IndexError_(f"{root / CURRENT} 指向的索引版本 {name} 不存在；{FIX}")
    return folder


def generation_numbers(root: Path) -> list[int]:
    if not root.is_dir():
        return []
    return sorted(int(m.group(1)) for p in root.iterdir() if (m := _GEN.match(p.name)))


def new_tmp(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f"tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    return tmp


def publish(root: Path, tmp: Path, manifest: Manifest) -> str:
    """Checksum, fsync, rename `tmp` to the next `gen-<n>`, replace CURRENT; returns its name."""
    manifest.files = checksums(tmp)
    manifest.save(tmp)
    _fsync_tree(tmp)
    numbers = generation_numbers(root)
    name = f"gen-{(numbers[-1] + 1) if numbers else 1}"
    os.rename(tmp, root / name)
    _fsync_dir(root)
    _write_synced(root / CURRENT, name + "\n")
    _fsync_dir(root)
    return name


def collect_garbage(root: Path, previous: str | None) -> list[str]:
    """Remove stale `tmp-*` and generations beyond the newest KEEP (never CURRENT/previous)."""
    keep = {read_current(root), previous}
    numbers = generation_numbers(root)
    keep.update(f"gen-{n}" for n in numbers[-KEEP:])
    removed = []
    for path in sorted(root.iterdir()):
        stale_gen = _GEN.match(path.name) and path.name not in keep
        if path.is_dir() and (stale_gen or path.name.startswith("tmp-")):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


@contextmanager
def build_lock(root: Path, kind: str) -> Iterator[None]:
    """Exclusive per-kind build lock; LockedError if another process is building."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"另一个进程正在建立{_label(kind)}索引（{root}），请等它完成后再试"
                              ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def checksums(folder: Path) -> dict[str, list[object]]:
    """relative path → [size, sha256] for every file except the manifest."""
    out: dict[str, list[object]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel == MANIFEST or path.name.endswith(".lock"):
            continue
        out[rel] = [path.stat().st_size, _sha256(path)]
    return out


def verify(folder: Path, manifest: Manifest, *, deep: bool) -> None:
    """Check files listed in the manifest exist with their size (and sha256 when `deep`)."""
    for rel, (size, digest) in manifest.files.items():
        path = folder / rel
        if not path.is_file() or path.stat().st_size != size:
            raise IndexError_(f"{path}：索引版本 {folder.name} 缺少此文件或大小不符；{FIX}")
        if deep and _sha256(path) != digest:
            raise IndexError_(f"{path}：校验和与索引清单不符；{FIX}")


def link_or_copy_tree(src: Path, dst: Path) -> None:
    """Hard-link (copy if linking fails) every file: tantivy never rewrites a file in place."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.iterdir():
        if path.is_file() and not path.name.endswith(".lock"):
            try:
                os.link(path, dst / path.name)
            except OSError:
                shutil.copy2(path, dst / path.name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_synced(path: Path, text: str) -> None:
    """Write to a sibling temp file, fsync, then os.replace over `path`."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        _fsync_dir(path)
    _fsync_dir(folder)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

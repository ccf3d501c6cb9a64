"""Shared CLI plumbing: options, engine construction, JSON output, error → exit code mapping."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from techmatch.config import Settings, get_settings
from techmatch.errors import (
    AddressInUseError,
    BackendError,
    ConfigError,
    ConflictError,
    IndexError_,
    InfeasibleError,
    IngestError,
    LockedError,
    NotFoundError,
    StoreTooNewError,
    TechmatchError,
    ValidationError,
)

log = logging.getLogger("techmatch")

HomeOpt = Annotated[Path | None, typer.Option("--home", envvar="TECHMATCH_HOME",
                                              help="Data folder (default ./techmatch-data).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

# what an unusable path given on the command line means, in staff's words (the OS's own
# strerror is English)
_OS_ERRORS: tuple[tuple[type[OSError], str], ...] = (
    (FileExistsError, "文件已存在"), (FileNotFoundError, "文件或目录不存在"),
    (IsADirectoryError, "这是一个目录，不是文件"), (NotADirectoryError, "路径中有一段不是目录"),
    (PermissionError, "没有访问权限"),
)

EXIT_CODES: dict[type[TechmatchError], int] = {
    ValidationError: 2, NotFoundError: 3, IndexError_: 4, ConfigError: 5, LockedError: 6,
    InfeasibleError: 7, BackendError: 8, ConflictError: 9, AddressInUseError: 10,
    StoreTooNewError: 11,
}


def record_id(value: str) -> str:
    """A record id argument as ingest and the API read it (NFKC, trimmed): Ｎ００１ is N001."""
    from techmatch.models.records import fold_id

    return str(fold_id(value))


def settings_for(home: Path | None, *, new_home: bool = False,
                 **overrides: object) -> Settings:
    """Settings with the CLI's options. Only commands that start a home (ingest, demo,
    eval, programme imports …) pass `new_home`: any other command on a missing home met a mistyped
    --home / TECHMATCH_HOME and would create an empty home there and answer from it (zeros,
    exit 0). A node of a shared store (TECHMATCH_STORE_URL) keeps its records on the server."""
    settings = get_settings(home=home, **overrides)
    if not new_home and settings.store_url is None and not settings.home.exists():
        raise ConfigError(f"数据目录 {settings.home} 不存在（--home / TECHMATCH_HOME）：请检查"
                          f"路径；新的数据目录由 techmatch ingest 或 techmatch demo 创建")
    return settings


def print_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@contextmanager
def cli_errors() -> Iterator[None]:
    """Translate techmatch errors into a message on stderr and a distinct exit code."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # CPU-feature probing noise
    _quiet_elastic_transport()
    try:
        yield
    except TechmatchError as exc:
        code = next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1)
        typer.echo(f"错误：{error_text(exc)}", err=True)
        for line in getattr(exc, "diagnostics", []) or []:
            typer.echo(f"  - {line}", err=True)
        raise typer.Exit(code) from None
    except (FileExistsError, FileNotFoundError, IsADirectoryError, NotADirectoryError,
            PermissionError) as exc:  # an output path given on the command line is unusable
        reason = next((text for kind, text in _OS_ERRORS if isinstance(exc, kind)), str(exc))
        typer.echo(f"错误：{exc.filename or ''}：{reason}", err=True)
        raise typer.Exit(2) from None


def error_text(exc: TechmatchError) -> str:
    """What the operator reads for `exc`: as raised — a bad input's file, row and field are
    named in Chinese (文件 a.csv，第 3 行，字段 kind：…) by ValidationError itself; a file of
    another kind also says how to choose or force the kind on the command line."""
    from techmatch.indexers.ingest.kind_check import forcing_hint

    return str(forcing_hint(exc, http=False) if isinstance(exc, IngestError) else exc)


def _drop_traceback(record: logging.LogRecord) -> bool:
    record.exc_info, record.exc_text = None, None
    return True


def _quiet_elastic_transport() -> None:
    """The Elasticsearch client logs every request at INFO and each retry with a full
    traceback; keep its retry warnings as one line each (the final error is ours)."""
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    for name in ("elastic_transport.transport", "elastic_transport.node_pool"):
        logger = logging.getLogger(name)
        if _drop_traceback not in logger.filters:
            logger.addFilter(_drop_traceback)


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a TTY, periodic log lines otherwise; yields `advance(n)`."""
    if sys.stderr.isatty():
        with typer.progressbar(length=max(total, 1), label=label, file=sys.stderr) as bar:
            yield bar.update
        return
    done = [0, 0]

    def advance(n: int) -> None:
        done[0] += n
        if done[0] - done[1] >= max(total // 10, 1) or done[0] >= total:
            done[1] = done[0]
            log.info("%s: %d/%d", label, done[0], total)

    yield advance

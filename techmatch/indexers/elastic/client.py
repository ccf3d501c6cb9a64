"""Client construction from Settings, index naming, and translation of client errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch import NotFoundError as EsNotFound

from techmatch.config import Settings
from techmatch.errors import BackendError, ConfigError
from techmatch.models.records import record_type

REQUEST_TIMEOUT = 30.0
TRANSPORT_RETRIES = 3
RETRY_STATUSES = (429, 502, 503, 504)
BACKOFF_BASE, BACKOFF_CAP = 0.5, 10.0  # seconds, full-jitter exponential between retries
_SHARED: dict[tuple[object, ...], Elasticsearch] = {}
_SHARED_LOCK = threading.Lock()
_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,100}$")


def hosts(url: str) -> list[str]:
    """The node URLs of `TECHMATCH_ES_URL`: one URL, or several separated by commas (the client
    then spreads requests over them and retries on another node when one is down)."""
    return [part.strip() for part in url.split(",") if part.strip()]


def redact(url: str) -> str:
    """`url` (or a comma-separated list) without user:password, safe for messages and logs."""
    if "," in url:
        return ",".join(redact(part) for part in hosts(url))
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def alias_name(settings: Settings, kind: str) -> str:
    """Alias every reader uses for one kind: `<prefix>_<kind>`."""
    record_type(kind)  # an unknown kind is a bad option (ValidationError), as on embedded
    prefix = settings.es_index_prefix
    if not _PREFIX.match(prefix):
        raise ConfigError(f"TECHMATCH_ES_INDEX_PREFIX {prefix!r} 不是有效的索引名前缀"
                          "（只能用小写字母、数字、_ 和 -）")
    return f"{prefix}_{kind}"


def generation_name(alias: str, number: int) -> str:
    """Concrete index behind an alias: `<prefix>_<kind>_v<N>`."""
    return f"{alias}_v{number}"


def generation_number(alias: str, index: str) -> int | None:
    """N of `<alias>_v<N>`, or None for an index that is not one of our generations."""
    match = re.fullmatch(re.escape(alias) + r"_v(\d+)", index)
    return int(match.group(1)) if match else None


def connect(settings: Settings, *, node_class: type | None = None) -> Elasticsearch:
    """A client for `settings.es_url`, checked with one request; `node_class` is a test hook."""
    if not settings.es_url:
        raise ConfigError("TECHMATCH_BACKEND=elasticsearch 需要设置 TECHMATCH_ES_URL"
                          "（如 https://es.example.org:9200）")
    options: dict[str, Any] = {
        "request_timeout": REQUEST_TIMEOUT, "max_retries": TRANSPORT_RETRIES,
        "retry_on_timeout": True, "retry_on_status": RETRY_STATUSES,
        "retry_backoff_base": BACKOFF_BASE, "retry_backoff_cap": BACKOFF_CAP,
        "verify_certs": settings.es_verify_certs,
    }
    if settings.es_api_key:
        options["api_key"] = settings.es_api_key
    elif settings.es_username:
        options["basic_auth"] = (settings.es_username, settings.es_password or "")
    if settings.es_ca_certs is not None:
        options["ca_certs"] = str(settings.es_ca_certs)
    if node_class is not None:
        options["node_class"] = node_class
    try:
        client = Elasticsearch(hosts(settings.es_url), **options)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"TECHMATCH_ES_URL {redact(settings.es_url)!r} 无效：{exc}") from exc
    with guarded(settings.es_url, "connect"):
        version_number(client)
    return client


def shared_client(settings: Settings) -> Elasticsearch:
    """One long-lived client per connection configuration, for cheap frequent calls
    (`current_generation` runs before every request of a server); created on first use."""
    key = (settings.es_url, settings.es_api_key, settings.es_username, settings.es_password,
           settings.es_verify_certs, str(settings.es_ca_certs))
    with _SHARED_LOCK:
        client = _SHARED.get(key)
        if client is None:
            client = _SHARED[key] = connect(settings)
    return client


def server_version(client: Elasticsearch, url: str) -> tuple[int, int]:
    """(major, minor) of the cluster, for request features that depend on it."""
    with guarded(url, "read the cluster version"):
        number = version_number(client)
    major, _, rest = number.partition(".")
    minor = rest.partition(".")[0]
    return (int(major), int(minor)) if major.isdigit() and minor.isdigit() else (0, 0)


def version_number(client: Elasticsearch) -> str:
    """The server's version string, e.g. "9.2.0".

    `GET /` is served by the `rest-root` module, which builds such as Elastic's integration-test
    distribution leave out (they answer 405); the version is then read from `GET _nodes/_local`.
    """
    try:
        return str(client.info()["version"]["number"])
    except ApiError as exc:
        if exc.meta.status != 405:
            raise
    nodes = client.nodes.info(node_id="_local", filter_path="nodes.*.version")["nodes"]
    return str(next(iter(nodes.values()))["version"])


@contextmanager
def guarded(url: str, what: str) -> Iterator[None]:
    """Turn client exceptions into BackendError naming the URL, the operation and the cause
(zh-CN for the operator; an unreachable cluster keeps the English phrase that logs grep for).

    Elasticsearch 404s pass through unchanged: callers decide what a missing index means.
    """
    try:
        yield
    except EsNotFound:
        raise
    except ApiError as exc:
        raise BackendError(f"Elasticsearch {redact(url)} 请求失败（{what}，HTTP "
                           f"{exc.meta.status}）: {_reason(exc)}") from exc
    except TransportError as exc:
        raise BackendError(f"无法连接 Elasticsearch {redact(url)}（{what}）"
                           f"(Elasticsearch at {redact(url)} is unreachable): "
                           f"{_cause(exc)}") from exc


def _cause(exc: TransportError) -> str:
    inner = exc.errors[0] if exc.errors else None
    return f"{type(exc).__name__}: {inner if inner is not None else exc.message}"


def _reason(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return f"{err.get('type')}: {err.get('reason')}"
    return str(exc.message)

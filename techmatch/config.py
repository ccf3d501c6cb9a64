"""Settings (pydantic-settings, env prefix TECHMATCH_) and the tuned retrieval parameters."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, Field, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from techmatch.errors import ConfigError

TUNED_FILE = "retrieval.json"


class RetrievalParams(BaseModel):
    """Fusion and candidate-depth parameters; `techmatch tune` writes them to the home."""

    mode: Literal["lexical", "dense", "hybrid"] = "hybrid"
    fusion: Literal["rrf", "weighted"] = "rrf"
    rrf_k: int = Field(default=60, ge=1)
    normalization: Literal["minmax", "zscore"] = "minmax"
    lexical_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    depth: int = Field(default=100, ge=1, le=10_000, description="candidates per retriever")


class Settings(BaseSettings):
    """Process configuration; build once at start-up with `get_settings()` and pass it in."""

    model_config = SettingsConfigDict(env_prefix="TECHMATCH_", extra="ignore")

    home: Path = Path("./techmatch-data")
    backend: Literal["embedded", "elasticsearch"] = "embedded"
    store_url: str | None = Field(
        default=None, description="postgresql://… for a store shared by several API nodes "
        "(default: the SQLite file <home>/store.sqlite)")
    encoder: str = "e5-small"
    cache_dir: Path | None = Field(default=None, description="vector cache (default <home>/cache)")
    encode_batch: int = Field(default=32, ge=1, le=4096)
    query_precision: Literal["fp32", "bf16", "int8"] = Field(
        default="bf16", description="e5-small query products: fp32, bf16 or int8 (passages "
        "are always fp32; see techmatch/indexers/e5q4.py)")
    threads: int = Field(default=1, ge=1, le=64, description="OpenMP threads for encode/search")
    user_dict: Path | None = None
    stopwords: Path | None = None
    dense_exact_max: int = Field(default=200_000, ge=0,
                                 description="exact faiss search up to this size, HNSW above")
    # Elasticsearch backend
    es_url: str | None = None
    es_api_key: str | None = None
    es_username: str | None = None
    es_password: str | None = None
    es_verify_certs: bool = True
    es_ca_certs: Path | None = None
    es_index_prefix: str = "techmatch"
    # HTTP service
    api_keys: str = Field(default="", description="'role:sha256hex,...' (roles read/write/admin)")
    cors_origins: str = ""
    max_body_bytes: int = Field(default=5_000_000, ge=1024)
    max_upload_rows: int = Field(default=100_000, ge=1,
                                 description="data rows one uploaded file may hold")
    max_upload_cell_chars: int = Field(
        default=32_767, ge=1, description="characters one cell of an uploaded CSV / XLSX may "
                                          "hold (32,767: Excel's own limit)")
    max_upload_unpacked_bytes: int = Field(
        default=100_000_000, ge=1, description="bytes an uploaded XLSX may unpack to (its "
                                               "parts together), checked before it is parsed")
    confidence_threshold: float = Field(default=0.35, ge=0.0, le=1.0)
    console_session_minutes: int = Field(default=480, ge=1, le=10_080,
                                         description="staff console login lifetime")
    explain_dense_sentences: bool = Field(
        default=False, description="best sentence pair by e5 vectors (slow) instead of tokens")
    index_lag_max_seconds: float = Field(
        default=30.0, ge=0.0, description="/readyz is 503 while the oldest store change the "
                                          "index has not applied is older than this")
    write_wait_seconds: float = Field(
        default=30.0, ge=0.0, le=600.0, description="longest a ?wait=true write waits for the "
                                                    "index before answering 202 with the lag")
    follow_interval_seconds: float = Field(
        default=1.0, gt=0.0, le=60.0, description="how often the serving process checks the "
                                                   "store for changes its indexes lack")

    @field_validator("home", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        return Path(os.path.expanduser(str(value))) if value is not None else value

    @property
    def vector_cache_dir(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else self.home / "cache"

    def retrieval(self) -> RetrievalParams:
        """Tuned parameters from `<home>/retrieval.json` when present, defaults otherwise."""
        path = self.home / TUNED_FILE
        if not path.exists():
            return RetrievalParams()
        from techmatch.models.validation_zh import message_zh

        fix = "；请删除它或重新运行 techmatch tune"
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"调优检索参数文件 {path} 不是 UTF-8 文本{fix}") from exc
        except OSError as exc:
            raise ConfigError(f"无法读取调优检索参数文件 {path}（{exc.strerror or exc}）{fix}"
                              ) from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            where = (f"（第 {exc.lineno} 行第 {exc.colno} 列）"
                     if isinstance(exc, json.JSONDecodeError) else "")
            raise ConfigError(f"调优检索参数文件 {path} 不是有效的 JSON{where}{fix}") from exc
        try:
            return RetrievalParams.model_validate(data)
        except PydanticValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"])
            where = f"字段 {field}：" if field else ""
            raise ConfigError(f"调优检索参数文件 {path} 无效：{where}"
                              f"{message_zh(error, field or None)}{fix}") from exc

    def save_retrieval(self, params: RetrievalParams) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        path = self.home / TUNED_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(params.model_dump_json(indent=2), encoding="utf-8")
        os.replace(tmp, path)
        return path


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI options) applied.

    A value the settings refuse (TECHMATCH_THREADS=0, TECHMATCH_BACKEND=solr …) is a
    ConfigError naming the variable, its value and what it accepts, not pydantic's traceback."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except PydanticValidationError as exc:
        problems = [_setting_problem(error, set(clean)) for error in exc.errors()]
        raise ConfigError("配置无效：" + "；".join(problems)) from None


_SECRET_SETTINGS = frozenset({"api_keys", "es_api_key", "es_password"})


def _setting_problem(error: Any, overridden: set[str]) -> str:
    """One refused setting: TECHMATCH_THREADS 的值 '0' 无效：应为 1 到 64 之间的整数."""
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else ""
    variable = f"{Settings.model_config.get('env_prefix', '')}{name}".upper()
    if name in overridden:
        variable = f"--{name.replace('_', '-')}（{variable}）"
    value = "***" if name in _SECRET_SETTINGS else str(error.get("input", ""))
    accepted = _accepted(name)
    gap = " " if accepted[:1].isascii() else ""
    return f"{variable} 的值 '{value}' 无效：应为{gap}{accepted}"


def _accepted(name: str) -> str:
    """What a setting accepts, from its type and bounds."""
    field = Settings.model_fields.get(name)
    if field is None:
        return "有效值"
    annotation = field.annotation
    if get_origin(annotation) is Literal:
        return "以下之一：" + "、".join(str(a) for a in get_args(annotation))
    if annotation is bool:
        return "true 或 false（也可写 1 / 0、yes / no）"
    bounds: dict[str, float] = {}
    for item in field.metadata:
        for key in ("ge", "gt", "le", "lt"):
            if getattr(item, key, None) is not None:
                bounds[key] = getattr(item, key)
    kind = "整数" if annotation is int else "数" if annotation is float else None
    if kind is None:
        return "有效值"

    def fmt(number: float) -> str:
        return f"{number:g}"

    low = ("ge", bounds["ge"]) if "ge" in bounds else ("gt", bounds["gt"]) if "gt" in bounds \
        else None
    high = ("le", bounds["le"]) if "le" in bounds else ("lt", bounds["lt"]) if "lt" in bounds \
        else None
    if low and high and low[0] == "ge" and high[0] == "le":
        return f"{fmt(low[1])} 到 {fmt(high[1])} 之间的{kind}"
    parts = []
    if low:
        parts.append(f"不小于 {fmt(low[1])}" if low[0] == "ge" else f"大于 {fmt(low[1])}")
    if high:
        parts.append(f"不大于 {fmt(high[1])}" if high[0] == "le" else f"小于 {fmt(high[1])}")
    return ("、".join(parts) + " 的" if parts else "") + kind

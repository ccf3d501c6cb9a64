"""`techmatch serve` (uvicorn, factory mode) and `techmatch api-key` (make a hashed API key)."""

from __future__ import annotations

import errno
import os
import socket
from typing import Annotated

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json
from techmatch.errors import AddressInUseError, ConfigError, coded

LOOPBACK = ("127.0.0.1", "localhost", "::1")
APP_FACTORY = "techmatch.api.app:create_app"


def serve(host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64,
                                               help="uvicorn worker processes.")] = 1,
          home: HomeOpt = None,
          dev_key: Annotated[bool, typer.Option(
              "--dev-key", help="Add a random admin key for this run and print it "
                                "(loopback only).")] = False) -> None:
    """Serve the HTTP API (OpenAPI at /docs) until interrupted."""
    import uvicorn

    from techmatch.api.app import anonymous_allowed
    from techmatch.api.security import KeyRing, hash_key, new_key
    from techmatch.config import get_settings

    with cli_errors():
        if home is not None:
            os.environ["TECHMATCH_HOME"] = str(home)  # worker processes read the environment
        if dev_key:
            _require_loopback(host, "--dev-key")
            key = new_key()
            entries = [os.environ.get("TECHMATCH_API_KEYS", ""), f"admin:{hash_key(key)}"]
            os.environ["TECHMATCH_API_KEYS"] = ",".join(e for e in entries if e)
            typer.echo(f"开发用 API 密钥（管理员，仅本次运行有效）：{key}")
            typer.echo(f"  curl -H 'X-API-Key: {key}' http://{host}:{port}/v1/match/needs/<id>")
            typer.echo(f"工作台：http://{host}:{port}/ — 用这个密钥登录")
        settings = get_settings()
        if not KeyRing.parse(settings.api_keys):
            if not anonymous_allowed():
                raise ConfigError("没有配置 API 密钥：请设置 TECHMATCH_API_KEYS（用 techmatch "
                                  "api-key 生成），或加 --dev-key，或在本机开发时设置 "
                                  "TECHMATCH_ALLOW_ANONYMOUS=1")
            _require_loopback(host, "TECHMATCH_ALLOW_ANONYMOUS")
        check_address(host, port)
        typer.echo(f"正在提供服务：数据目录 {settings.home}，地址 http://{host}:{port}"
                   f"（{workers} 个工作进程）", err=True)
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                    log_level="info")


def check_address(host: str, port: int) -> None:
    """Bind and release host:port as uvicorn will (SO_REUSEADDR), so a taken port is a clear
    error with its own exit code instead of uvicorn's generic start-up failure (3)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AddressInUseError(
                    f"{host}:{port} 已被其他进程占用：请换一个端口（techmatch serve --port N，"
                    f"或 make run PORT=N）") from None
            raise ConfigError(f"无法监听 {host}:{port}：{exc.strerror}") from None


def _require_loopback(host: str, what: str) -> None:
    if host not in LOOPBACK:
        raise ConfigError(f"{what} 只用于本机开发：请绑定 127.0.0.1，而不是 {host}")


def api_key(role: Annotated[str, typer.Option(help="read | write | admin")] = "read",
            json_out: JsonOpt = False) -> None:
    """Print a new random API key and its hashed settings entry (only the hash is stored)."""
    from techmatch.api.security import ROLES, hash_key, new_key

    with cli_errors():
        if role not in ROLES:
            raise ConfigError(f"未知角色 {role!r}；可选：{_roles()}")
        key = new_key()
        entry = f"{role}:{hash_key(key)}"
        if json_out:
            print_json({"role": role, "key": key, "entry": entry})
            return
        typer.echo(f"密钥：{key}")
        typer.echo(f"配置项：{entry}")
        typer.echo("把密钥交给使用者；把配置项加入 TECHMATCH_API_KEYS（多项以逗号分隔），例如")
        typer.echo(f"  export TECHMATCH_API_KEYS='{entry}'")


def _roles() -> str:
    from techmatch.api.security import ROLE_LABELS, ROLES

    return coded(ROLES, ROLE_LABELS)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("api-key")(api_key)

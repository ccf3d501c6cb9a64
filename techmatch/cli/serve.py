"""`techmatch serve` (uvicorn, factory mode) and `techmatch api-key` (make a hashed API key)."""

from __future__ import annotations

import errno
import os
import socket
from typing import Annotated

import typer

from techmatch.cli.common import HomeOpt, JsonOpt, cli_errors, print_json
from techmatch.errors import AddressInUseError, ConfigError

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
            typer.echo(f"dev API key (admin, this run only): {key}")
            typer.echo(f"  curl -H 'X-API-Key: {key}' http://{host}:{port}/v1/match/needs/<id>")
            typer.echo(f"staff console (工作台): http://{host}:{port}/ — log in with this key")
        settings = get_settings()
        if not KeyRing.parse(settings.api_keys):
            if not anonymous_allowed():
                raise ConfigError("no API keys configured: set TECHMATCH_API_KEYS (see "
                                  "`techmatch api-key`), pass --dev-key, or set "
                                  "TECHMATCH_ALLOW_ANONYMOUS=1 for local development")
            _require_loopback(host, "TECHMATCH_ALLOW_ANONYMOUS")
        check_address(host, port)
        typer.echo(f"serving {settings.home} on http://{host}:{port} ({workers} worker(s))",
                   err=True)
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
                    f"{host}:{port} is already in use by another process; pick another port "
                    f"(`techmatch serve --port N`, or `make run PORT=N`)") from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _require_loopback(host: str, what: str) -> None:
    if host not in LOOPBACK:
        raise ConfigError(f"{what} is for local development: bind to 127.0.0.1, not {host}")


def api_key(role: Annotated[str, typer.Option(help="read | write | admin")] = "read",
            json_out: JsonOpt = False) -> None:
    """Print a new random API key and its hashed settings entry (only the hash is stored)."""
    from techmatch.api.security import ROLES, hash_key, new_key

    with cli_errors():
        if role not in ROLES:
            raise ConfigError(f"unknown role {role!r}; valid: {', '.join(ROLES)}")
        key = new_key()
        entry = f"{role}:{hash_key(key)}"
        if json_out:
            print_json({"role": role, "key": key, "entry": entry})
            return
        typer.echo(f"key:   {key}")
        typer.echo(f"entry: {entry}")
        typer.echo("Give the key to its user; add the entry to TECHMATCH_API_KEYS "
                   "(comma-separated), e.g.")
        typer.echo(f"  export TECHMATCH_API_KEYS='{entry}'")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("api-key")(api_key)

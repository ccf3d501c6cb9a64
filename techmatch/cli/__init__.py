"""`techmatch` command line (Typer): one module per command group, registered here."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(name="techmatch", no_args_is_help=True, add_completion=False,
                  help="Match enterprise needs with achievements and experts.")

# Each module defines `register(app: typer.Typer) -> None`.
_COMMAND_MODULES: tuple[str, ...] = (
    "techmatch.cli.demo",
    "techmatch.cli.records",
    "techmatch.cli.elastic",
    "techmatch.cli.eval",
    "techmatch.cli.match",
    "techmatch.cli.plans",
    "techmatch.cli.batch",
    "techmatch.cli.dockings",
    "techmatch.cli.programme",
    "techmatch.cli.serve",
    "techmatch.cli.migrate",
)

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console-script entry point."""
    app()

"""DESIGN.md's dependency direction, checked on every import in the package (also those
inside functions): api, cli → matcher → indexers → store → models; eval → matcher; nothing
imports api or cli; ranking knows no evaluation; the store knows no index and no ranking."""

from __future__ import annotations

import ast
from pathlib import Path

import techmatch

PACKAGE = Path(techmatch.__file__).parent
# layer → techmatch subpackages it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "models": ("store", "indexers", "matcher", "eval", "api", "cli"),
    "store": ("indexers", "matcher", "eval", "api", "cli"),
    "indexers": ("matcher", "eval", "api", "cli"),
    "matcher": ("eval", "api", "cli"),
    "eval": ("api", "cli"),
}


def imported(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def violations(layer: str) -> list[str]:
    bad = FORBIDDEN[layer]
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, module in imported(path):
            parts = module.split(".")
            if parts[0] == "techmatch" and len(parts) > 1 and parts[1] in bad:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {module}")
    return found


def test_layers_import_only_downwards() -> None:
    assert [v for layer in FORBIDDEN for v in violations(layer)] == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from techmatch.eval.metrics import mean\n",
                      encoding="utf-8")
    assert imported(sample) == [(2, "techmatch.eval.metrics")]

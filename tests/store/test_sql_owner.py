"""Nothing outside techmatch/store/ speaks SQL: a scan of the package's source.

Three signs of SQL are looked for in every module outside the store: importing a database
driver (sqlite3, psycopg, psycopg_pool), a string that reads as an SQL statement, and
reaching into a store's connection (`store.db`, `store.lock`, `._db` of a store). Docstrings
are skipped (they may mention SQL).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import techmatch

PACKAGE = Path(techmatch.__file__).parent
STORE = PACKAGE / "store"
DRIVERS = {"sqlite3", "psycopg", "psycopg_pool"}
SQL = re.compile(r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|"
                 r"DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|UNIQUE|TRIGGER)\s|DROP\s+(TABLE|INDEX)\s|"
                 r"ALTER\s+TABLE\s|PRAGMA\s|BEGIN(\s+IMMEDIATE)?\s*$|COMMIT\s*$|ROLLBACK\s*$)",
                 re.DOTALL)
# Modules allowed to speak SQL outside the store while being rewritten; each leaves the list
# as soon as it stops (test_allow_list_is_needed). The feedback export now reads dockings.
ALLOWED: set[str] = set()


def _skipped(tree: ast.AST) -> set[int]:
    """Docstrings, and the pieces of f-strings (the whole f-string is checked)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            ids.update(id(v) for v in node.values)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            ids.add(id(body[0].value))
    return ids


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    return None


def _storeish(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return isinstance(name, str) and name.lstrip("_").endswith("store")


def findings(path: Path) -> list[str]:
    """Every sign of SQL in one module, as 'file:line: what'."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _skipped(tree)
    rel = path.relative_to(PACKAGE.parent)
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            out += [(node.lineno, f"imports {n}") for n in names
                    if n.split(".")[0] in DRIVERS]
        elif isinstance(node, ast.Attribute) and node.attr in ("db", "lock", "_db") \
                and _storeish(node.value):
            out.append((node.lineno, f"reaches into the store's .{node.attr}"))
        elif isinstance(node, (ast.JoinedStr, ast.Constant)) and id(node) not in skip:
            text = _text(node)
            if text and SQL.match(text):
                out.append((node.lineno, f"SQL {text.strip()[:40]!r}"))
    return [f"{rel}:{line}: {what}" for line, what in sorted(out)]


def outside_store() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if STORE not in p.parents)


def test_no_sql_outside_the_store() -> None:
    found = [f for p in outside_store() if str(p.relative_to(PACKAGE.parent)) not in ALLOWED
             for f in findings(p)]
    assert found == []


def test_the_scan_sees_sql(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text('"""Doc: SELECT a FROM b."""\nimport sqlite3\n'
                      'def f(store, db):\n'
                      '    store.db.execute("SELECT id FROM records WHERE kind = ?", ("n",))\n'
                      '    db.execute(f"DELETE FROM {t} WHERE x = 1")\n'
                      '    job.execute(run, progress)\n', encoding="utf-8")
    global PACKAGE
    old, PACKAGE = PACKAGE, tmp_path
    try:
        found = findings(sample)
    finally:
        PACKAGE = old
    assert [f.split(": ", 1)[1] for f in found] == [
        "imports sqlite3", "SQL 'SELECT id FROM records WHERE kind = ?'",
        "reaches into the store's .db", "SQL 'DELETE FROM x WHERE x = 1'"]


def test_allow_list_is_needed() -> None:
    """An allowed module that no longer speaks SQL must leave the list."""
    stale = [m for m in ALLOWED if not findings(PACKAGE.parent / m)]
    assert stale == []

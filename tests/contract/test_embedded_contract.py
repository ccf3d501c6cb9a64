"""The index contract run against the embedded backend (tantivy + faiss)."""

from __future__ import annotations

from pathlib import Path

from contract import IndexContract

from techmatch.config import Settings


class TestEmbeddedContract(IndexContract):
    def settings(self, home: Path) -> Settings:
        return Settings(home=home, backend="embedded", threads=1)


class TestEmbeddedHnswContract(IndexContract):
    """Same contract with HNSW forced (exact search limit 0)."""

    def settings(self, home: Path) -> Settings:
        return Settings(home=home, backend="embedded", threads=1, dense_exact_max=0)

"""Token sets of record texts kept on disk, so a query reads its candidates' sets instead of
tokenising them again (issue 19: at 1M records ~40 % of a fresh query was tokenising the ~56
candidates' `record.text()`).

The key is a hash of the tokenizer fingerprint (jieba version, dictionaries, stopwords, rules:
what the index manifest records) and the exact text, so a changed text or another dictionary
never meets an old set. Filled by index sync for the records it indexes and read-through by
`MatchService` for the texts it has not seen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from techmatch.indexers.tokenize import Tokenizer
from techmatch.store.tokensets import TokenSetFile

FILE_NAME = "tokensets.sqlite"


def token_key(fingerprint: str, text: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(fingerprint.encode("utf-8"))
    digest.update(b"\0")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def token_row(tokenizer: Tokenizer, text: str) -> tuple[str, str]:
    """(key, stored value) of one text's token set.

    Distinct tokens in first-occurrence order: a frozenset built from them is built in the same
    order as `frozenset(tokenizer.tokens(text))`, so it iterates the same way and sums over
    it (features) come out bit for bit the same.
    """
    tokens = list(dict.fromkeys(tokenizer.tokens(text)))
    return token_key(tokenizer.fingerprint, text), json.dumps(tokens, ensure_ascii=False)


class TokenSets:
    """Read-through token-set cache for one tokenizer (`<cache_dir>/tokensets.sqlite`)."""

    def __init__(self, tokenizer: Tokenizer, cache_dir: Path) -> None:
        self.tokenizer = tokenizer
        self._file = TokenSetFile(cache_dir / FILE_NAME)

    def sets(self, texts: Sequence[str]) -> dict[str, frozenset[str]]:
        """text → token set: one read for all of them, tokenise and store only the misses."""
        fingerprint = self.tokenizer.fingerprint
        keys = {text: token_key(fingerprint, text) for text in dict.fromkeys(texts)}
        stored = self._file.get_many(keys.values())
        out: dict[str, frozenset[str]] = {}
        missing: list[tuple[str, str]] = []
        for text, key in keys.items():
            value = stored.get(key)
            if value is None:
                key, value = token_row(self.tokenizer, text)
                missing.append((key, value))
            out[text] = frozenset(json.loads(value))
        self._file.put_many(missing)
        return out

    def put_rows(self, rows: Iterable[tuple[str, str]]) -> None:
        self._file.put_many(list(rows))

    def count(self) -> int:
        return self._file.count()

    def close(self) -> None:
        self._file.close()

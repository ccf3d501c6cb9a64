"""Industry taxonomy: 战略性新兴产业分类（2018）as a tree with codes, synonyms and legacy labels.

The data is `techmatch/resources/industries.json` (source and caveats in its `_source` key and
in docs/programme.md): the 9 top categories of the national classification of strategic
emerging industries (国家统计局令第23号), their sub-categories (some down to the third level,
e.g. 1.2.4 集成电路制造), GB/T 4754-2017 codes where useful, synonyms, and the platform's ten
old fixed labels (新一代信息技术, 海洋工程 …) mapped onto nodes.

Every surface form (name, synonym, legacy label, code) resolves to exactly one node; the
loader refuses a file where two nodes claim the same form. Lookups compare a key form
(NFKC, traditional → simplified, case-folded, spaces removed), so 積體電路 finds 集成电路.

    taxonomy = load_taxonomy()
    taxonomy.resolve("芯片").code            # '1.2.4'
    taxonomy.path("集成电路")                 # 新一代信息技术产业 > 电子核心产业 > 集成电路制造
    "集成电路" in taxonomy.surface_forms_under("新一代信息技术产业")   # True
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

RESOURCE = "industries.json"
_SPLIT = re.compile(r"[,，;；、|/]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
MIN_CONTAINED = 2  # shortest synonym matched inside longer free text


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65_536)
def key(text: str) -> str:
    """Lookup form of a label: NFKC, simplified, case-folded, without spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(text.split())
    return str(_t2s().convert(text)) if _CJK.search(text) or not text.isascii() else text


@dataclass(frozen=True)
class GbtCode:
    """A class of 国民经济行业分类 GB/T 4754-2017 that the node corresponds to (in part)."""

    code: str
    name: str


@dataclass(frozen=True)
class IndustryNode:
    """One category: `code` like '1.2.4', `level` 1 (大类) to 3, `parent` code or None."""

    code: str
    name: str
    level: int
    parent: str | None
    synonyms: tuple[str, ...] = ()
    gbt4754: tuple[GbtCode, ...] = ()
    children: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "level": self.level,
                "parent": self.parent, "synonyms": list(self.synonyms),
                "gbt4754": [{"code": g.code, "name": g.name} for g in self.gbt4754],
                "children": list(self.children)}


@dataclass(frozen=True)
class LegacyLabel:
    """One of the platform's old fixed labels and the node it maps onto."""

    label: str
    code: str
    note: str


@dataclass(frozen=True)
class Mapping:
    """How a free-text industry was mapped: `code` None = not in the taxonomy.

    `how`: exact (a name, synonym, label or code), contained (a synonym found inside the text),
    unmapped.
    """

    text: str
    code: str | None
    name: str | None
    how: str


@dataclass
class Taxonomy:
    """The tree, its surface-form index and the legacy labels; build with `load_taxonomy`."""

    version: str
    source: str
    nodes: dict[str, IndustryNode]
    legacy: tuple[LegacyLabel, ...]
    _forms: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Taxonomy:
        from techmatch.errors import ConfigError

        nodes: dict[str, IndustryNode] = {}
        for item in _walk(data.get("nodes", []), None, 1):
            if item.code in nodes:
                raise ConfigError(f"industry taxonomy: code {item.code} appears twice")
            nodes[item.code] = item
        legacy = tuple(LegacyLabel(x["label"], x["code"], x.get("note", ""))
                       for x in data.get("legacy_labels", []))
        tax = cls(str(data.get("version", "")), str(data.get("_source", "")), nodes, legacy)
        tax._index()
        return tax

    def _index(self) -> None:
        from techmatch.errors import ConfigError

        def claim(form: str, code: str) -> None:
            k = key(form)
            if not k:
                return
            other = self._forms.setdefault(k, code)
            if other != code:
                raise ConfigError(f"industry taxonomy: {form!r} names both {other} and {code}")

        for node in self.nodes.values():
            for form in (node.code, node.name, *node.synonyms):
                claim(form, node.code)
        for label in self.legacy:
            if label.code not in self.nodes:
                raise ConfigError(f"industry taxonomy: legacy label {label.label!r} maps to "
                                  f"unknown code {label.code}")
            claim(label.label, label.code)

    # -- lookup ----------------------------------------------------------------------------
    def resolve(self, text: str | None) -> IndustryNode | None:
        """The node a name, synonym, legacy label or code names exactly (None = unknown)."""
        if not text:
            return None
        code = self._forms.get(key(text))
        return self.nodes[code] if code else None

    def get(self, text: str) -> IndustryNode:
        """Like `resolve`, but an unknown industry raises and names the top categories."""
        node = self.resolve(text)
        if node is None:
            from techmatch.errors import ValidationError

            tops = "、".join(n.name for n in self.top_level())
            raise ValidationError(f"unknown industry {text!r}; top categories: {tops} "
                                  f"(sub-categories and synonyms are accepted too)",
                                  field="industry")
        return node

    def top_level(self) -> list[IndustryNode]:
        return [n for n in self.nodes.values() if n.parent is None]

    def ancestors(self, code: str) -> list[IndustryNode]:
        """From the top category down to the node itself."""
        out = []
        node: IndustryNode | None = self.nodes[code]
        while node is not None:
            out.append(node)
            node = self.nodes[node.parent] if node.parent else None
        return out[::-1]

    def path(self, text: str) -> str:
        """'新一代信息技术产业 > 电子核心产业 > 集成电路制造' (the text itself when unknown)."""
        node = self.resolve(text)
        return " > ".join(n.name for n in self.ancestors(node.code)) if node else text

    def descendants(self, code: str) -> list[IndustryNode]:
        """The node and everything below it, depth first in code order."""
        node = self.nodes[code]
        out = [node]
        for child in node.children:
            out.extend(self.descendants(child))
        return out

    def at_level(self, text: str | None, level: int) -> IndustryNode | None:
        """The ancestor of `text`'s node at `level` (1 = top); a coarser node stays itself."""
        node = self.resolve(text)
        if node is None:
            return None
        chain = self.ancestors(node.code)
        return chain[min(level, len(chain)) - 1]

    def surface_forms(self, code: str) -> list[str]:
        """Every string that names exactly this node: name, synonyms, legacy labels, code."""
        node = self.nodes[code]
        forms = [node.name, *node.synonyms, *(x.label for x in self.legacy if x.code == code)]
        return list(dict.fromkeys(forms))

    def surface_forms_under(self, text: str) -> list[str]:
        """Every form of the node `text` names and of all its descendants (filter roll-down);
        an unknown `text` yields itself only."""
        node = self.resolve(text)
        if node is None:
            return [text]
        return list(dict.fromkeys(form for n in self.descendants(node.code)
                                  for form in self.surface_forms(n.code)))

    def covers(self, wanted: str, value: str | None) -> bool:
        """True when `value` (a record's industry) lies in the subtree `wanted` names.

        Unknown `wanted` or `value`: plain equality of their key forms.
        """
        if not value:
            return False
        parent, child = self.resolve(wanted), self.resolve(value)
        if parent is None or child is None:
            return key(wanted) == key(value)
        return any(n.code == parent.code for n in self.ancestors(child.code))

    def is_ancestor(self, upper: str, lower: str) -> bool:
        """True when `upper` names a strict ancestor of the node `lower` names."""
        a, b = self.resolve(upper), self.resolve(lower)
        return bool(a and b and a.code != b.code and self.covers(upper, lower))

    # -- free text -------------------------------------------------------------------------
    def map_text(self, text: str) -> Mapping:
        """Map a free-text industry: an exact form first, else the longest Chinese synonym
        (≥ 2 characters) found inside the text when it names a single node."""
        node = self.resolve(text)
        if node is not None:
            return Mapping(text, node.code, node.name, "exact")
        k = key(text)
        best: dict[str, int] = {}
        for form, code in self._forms.items():
            if len(form) >= MIN_CONTAINED and _CJK.search(form) and form in k:
                best[code] = max(best.get(code, 0), len(form))
        if best:
            top = max(best.values())
            codes = sorted(c for c, n in best.items() if n == top)
            if len(codes) == 1:
                node = self.nodes[codes[0]]
                return Mapping(text, node.code, node.name, "contained")
        return Mapping(text, None, None, "unmapped")

    def map_values(self, value: str | Iterable[str] | None) -> list[Mapping]:
        """`map_text` for each part of a value ('新材料/海洋工程' is two parts)."""
        if value is None:
            return []
        items = [value] if isinstance(value, str) else list(value)
        parts = [p.strip() for item in items for p in _SPLIT.split(item) if p.strip()]
        return [self.map_text(p) for p in parts]

    def iter_nodes(self) -> Iterator[IndustryNode]:
        return iter(self.nodes.values())


def _walk(items: list[dict[str, Any]], parent: str | None,
          level: int) -> Iterator[IndustryNode]:
    for item in items:
        kids = item.get("children", [])
        yield IndustryNode(code=str(item["code"]), name=str(item["name"]), level=level,
                           parent=parent, synonyms=tuple(item.get("synonyms", ())),
                           gbt4754=tuple(GbtCode(str(g["code"]), str(g["name"]))
                                         for g in item.get("gbt4754", ())),
                           children=tuple(str(k["code"]) for k in kids))
        yield from _walk(kids, str(item["code"]), level + 1)


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The bundled taxonomy, read once per process (on first use, not at import)."""
    text = resources.files("techmatch.resources").joinpath(RESOURCE).read_text(encoding="utf-8")
    return Taxonomy.from_dict(json.loads(text))

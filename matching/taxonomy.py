"""The skill taxonomy (技能分类): fields and how much a team strong in one covers a need in another.

Fields are nodes of a networkx graph; a link carries a closeness in (0, 1]. The similarity of two
fields is the best product of closeness along a path between them, found as a shortest path with
edge length ``-ln(closeness)``; below ``FLOOR`` it counts as nothing. A need's coverage by a team
is the mean, over the need's fields, of the best similarity to any of the team's fields: a team
strong in a neighbouring field partly covers a need.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np

from .errors import MatchingError

BUNDLED = Path(__file__).with_name("data") / "skills.toml"
FLOOR = 0.2  # a similarity below this is no coverage at all (about three links apart)


@dataclass(frozen=True)
class Field:
    code: str
    name: str
    name_en: str
    trades: tuple[str, ...]


class Taxonomy:
    """Fields, their graph and the field × field similarity matrix (computed once)."""

    def __init__(self, fields: list[Field], links: list[tuple[str, str, float]], version: str = ""):
        self.version = version
        self.fields = fields
        self.index = {f.code: i for i, f in enumerate(fields)}
        self.graph = nx.Graph()
        self.graph.add_nodes_from(self.index)
        for a, b, closeness in links:
            self.graph.add_edge(a, b, closeness=closeness, length=-math.log(closeness))
        n = len(fields)
        self.similarity = np.eye(n)
        for source, lengths in nx.all_pairs_dijkstra_path_length(self.graph, weight="length"):
            for target, length in lengths.items():
                value = math.exp(-length)
                self.similarity[self.index[source], self.index[target]] = value if value >= FLOOR else 0.0
        self._by_trade = {trade: f.code for f in fields for trade in f.trades}

    def field(self, code: str) -> Field:
        return self.fields[self.index[code]]

    def codes(self, codes, *, field: str = "fields") -> list[int]:
        """Indices of field codes; an unknown code is refused, naming it."""
        unknown = [c for c in codes if c not in self.index]
        if unknown:
            raise MatchingError(f"unknown skill field {', '.join(map(str, unknown))}; "
                                f"known: {', '.join(self.index)}", field)
        return [self.index[c] for c in codes]

    def field_of_trade(self, trade: str) -> str | None:
        return self._by_trade.get(trade)

    def best_cover(self, team_fields: list[list[int]]) -> np.ndarray:
        """teams × fields: how well each team covers a need in each field (its best field's similarity)."""
        best = np.zeros((len(team_fields), len(self.fields)))
        for t, codes in enumerate(team_fields):
            if codes:
                best[t] = self.similarity[codes].max(axis=0)
        return best

    def explain(self, need_fields: list[str], team_fields: list[str]) -> list[dict]:
        """For each need field: the team field that covers it best, how much, and the path between."""
        out = []
        for code in need_fields:
            best, via = 0.0, None
            for other in team_fields:
                value = self.similarity[self.index[code], self.index[other]]
                if value > best:
                    best, via = value, other
            path = nx.dijkstra_path(self.graph, via, code, weight="length") if via else []
            out.append({"field": code, "name": self.field(code).name, "covered_by": via,
                        "covered_by_name": self.field(via).name if via else None,
                        "coverage": round(float(best), 3), "path": path})
        return out


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read a taxonomy file; a link to an unknown field or a closeness outside (0, 1] is refused."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    fields = [Field(f["code"], f["name"], f.get("name_en", ""), tuple(f.get("trades", []))) for f in data["field"]]
    codes = {f.code for f in fields}
    links = []
    for n, link in enumerate(data.get("link", [])):
        for end in ("a", "b"):
            if link[end] not in codes:
                raise MatchingError(f"link[{n}].{end}: unknown field {link[end]}", f"link[{n}].{end}")
        if not 0 < float(link["closeness"]) <= 1:
            raise MatchingError(f"link[{n}].closeness: must be in (0, 1]", f"link[{n}].closeness")
        links.append((link["a"], link["b"], float(link["closeness"])))
    return Taxonomy(fields, links, str(data.get("version", "")))


@cache
def bundled_taxonomy() -> Taxonomy:
    return load_taxonomy(BUNDLED)

"""Places (乡镇/街道) and the travel distance between them: shortest paths over a road graph.

The graph is networkx's (a place per node, road km on each edge). The place × place distance
matrix is computed once per graph with ``scipy.sparse.csgraph.dijkstra`` over the graph's
adjacency, which gives the same lengths as ``networkx.shortest_path_length`` (a test checks) at C
speed, so a national graph of thousands of townships costs no Python per pair. Unreachable places
are ``inf`` apart: never eligible, never in a cost matrix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import networkx as nx
from scipy.sparse.csgraph import dijkstra

from .errors import MatchingError

BUNDLED = Path(__file__).with_name("data") / "places.toml"


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    district: str


class Geography:
    def __init__(self, places: list[Place], roads: list[tuple[str, str, float]], name: str = ""):
        self.name = name
        self.places = places
        self.index = {p.code: i for i, p in enumerate(places)}
        self.graph = nx.Graph()
        self.graph.add_nodes_from(self.index)
        for a, b, km in roads:
            self.graph.add_edge(a, b, km=km)
        adjacency = nx.to_scipy_sparse_array(self.graph, nodelist=list(self.index), weight="km", format="csr")
        self.km = dijkstra(adjacency, directed=False)

    def place(self, code: str) -> Place:
        return self.places[self.index[code]]

    def at(self, code: str, *, field: str = "place") -> int:
        if code not in self.index:
            raise MatchingError(f"unknown place {code}; known: {', '.join(self.index)}", field)
        return self.index[code]

    def route(self, a: str, b: str) -> list[str]:
        return nx.shortest_path(self.graph, a, b, weight="km")


def load_geography(path: Path | str) -> Geography:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    places = [Place(p["code"], p["name"], p.get("district", "")) for p in data["place"]]
    codes = {p.code for p in places}
    roads = []
    for n, road in enumerate(data.get("road", [])):
        for end in ("a", "b"):
            if road[end] not in codes:
                raise MatchingError(f"road[{n}].{end}: unknown place {road[end]}", f"road[{n}].{end}")
        if not float(road["km"]) > 0:
            raise MatchingError(f"road[{n}].km: must be more than 0", f"road[{n}].km")
        roads.append((road["a"], road["b"], float(road["km"])))
    return Geography(places, roads, data.get("name", ""))


@cache
def bundled_geography() -> Geography:
    return load_geography(BUNDLED)

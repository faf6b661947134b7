"""Order scored sheets into a ranking with shared places for equal keys."""

from __future__ import annotations

from typing import Hashable, Iterable, TypeVar

K = TypeVar("K", bound=Hashable)


def competition_ranks(keyed: Iterable[tuple[K, tuple]]) -> list[tuple[K, int]]:
    """Return ``(id, rank)`` best first; equal rank keys share a place ("1, 2, 2, 4").

    Rank keys are the engine's ``rank_key`` (ascending = better). Ids break no ties: two
    contestants with equal keys get the same rank and are listed in id order so the output
    is deterministic.
    """
    ordered = sorted(keyed, key=lambda pair: (pair[1], pair[0]))
    ranks: list[tuple[K, int]] = []
    previous = None
    for position, (ident, key) in enumerate(ordered, start=1):
        if key != previous:
            rank = position
            previous = key
        ranks.append((ident, rank))
    return ranks

"""The live feed: a screen that applies every delta (rows, then rank moves) holds exactly the board a
fresh snapshot shows, at every step; a contestant moved only by others' marks is a rank triple,
never a whole row (and so never a tablet message)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from competition.livefeed import ContestFeed, RosterEntry, own_row
from competition.projections import ContestProjection, Entry
from tests.competition.test_projections import RULESET, event_spec, to_event

ENTRIES = [Entry(i, 10 if i <= 3 else 20) for i in range(1, 7)]
ROSTER = {e.contestant_id: RosterEntry(f"T{e.contestant_id}", f"选手{e.contestant_id}", "", e.site_id) for e in ENTRIES}
contestant = st.sampled_from([e.contestant_id for e in ENTRIES])


def apply(state: dict[int, dict], delta: dict) -> None:
    """What web/static/js/live.js does with a delta."""
    for row in delta["rows"]:
        state[row["id"]] = row
    for ident, rank, site_rank in delta["ranks"]:
        state[ident] = {**state[ident], "rank": rank, "site_rank": site_rank}


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(event_spec.map(lambda spec: (spec[0], spec[1] * 3 % 6 + 1, *spec[2:])), max_size=6),
                max_size=12))
def test_applying_every_delta_gives_the_fresh_snapshot_and_rank_moves_are_triples(batches):
    projection = ContestProjection(RULESET, ENTRIES)
    feed = ContestFeed(1)
    feed.advance(projection, ROSTER)
    screen = {row["id"]: row for row in feed.snapshot()["rows"]}
    site_screen = {row["id"]: row for row in feed.snapshot(20)["rows"]}
    seq = 0
    for batch in batches:
        before = {ident: own_row(row) for ident, row in feed.rows.items()}
        for spec in batch:
            seq += 1
            projection.apply(to_event(seq, spec))
        delta = feed.advance(projection, ROSTER)
        if delta is None:
            continue
        apply(screen, delta.as_json())
        apply(site_screen, delta.for_site(20).as_json())
        fresh = ContestFeed(1)
        fresh.advance(projection, ROSTER)
        assert screen == {row["id"]: row for row in fresh.snapshot()["rows"]}
        assert site_screen == {row["id"]: row for row in fresh.snapshot(20)["rows"]}
        # Whole rows only for contestants whose own result changed; the rest moved by rank alone.
        assert all(own_row(row) != before[row["id"]] for row in delta.rows)
        assert all(own_row(feed.rows[ident]) == before[ident] for ident, *_ in delta.ranks)
        assert not {row["id"] for row in delta.rows} & {ident for ident, *_ in delta.ranks}


def test_one_mark_lifting_a_contestant_past_tied_ones_is_one_row_and_small_triples():
    entries = [Entry(i, 10) for i in range(1, 101)]
    roster = {e.contestant_id: RosterEntry(f"T{e.contestant_id}", "", "", 10) for e in entries}
    projection = ContestProjection(RULESET, entries)
    feed = ContestFeed(1)
    feed.advance(projection, roster)
    projection.apply(to_event(1, ("mark_corrected", 100, "M1", 7, "24")))  # on target: 100 leads alone
    delta = feed.advance(projection, roster)
    assert [row["id"] for row in delta.rows] == [100] and delta.rows[0]["rank"] == 1
    assert len(delta.ranks) == 99 and {rank for _, _, rank, _ in delta.ranks} == {2}
    assert "rank" not in own_row(delta.rows[0])

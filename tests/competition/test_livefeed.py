"""The live feed: a screen that applies every delta (rank runs, then rows) holds exactly the board a
fresh snapshot shows, at every step; a contestant moved only by others' marks is covered by a run,
never sent whole (and so never a tablet message)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from competition.livefeed import ContestFeed, RosterEntry, board_rows, own_row
from competition.projections import ContestProjection, Entry
from tests.competition.test_projections import RULESET, event_spec, to_event

ENTRIES = [Entry(i, 10 if i <= 3 else 20) for i in range(1, 7)]
ROSTER = {e.contestant_id: RosterEntry(f"T{e.contestant_id}", f"选手{e.contestant_id}", "", e.site_id) for e in ENTRIES}
contestant = st.sampled_from([e.contestant_id for e in ENTRIES])


def apply(state: dict[int, dict], delta: dict) -> None:
    """What web/static/js/live.js does with a delta."""
    def shift(runs, rank):
        return next((rank + by for first, last, by in runs if first <= rank <= last), rank)

    sent = {row["id"] for row in delta["rows"]}
    for ident, row in list(state.items()):
        if ident not in sent:
            state[ident] = {**row, "rank": shift(delta["shifts"], row["rank"]),
                            "site_rank": shift(delta["site_shifts"].get(str(row["site_id"]), []), row["site_rank"])}
    for row in delta["rows"]:
        state[row["id"]] = row


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
        shown_before = feed.ranked_rows()
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
        # ... and the board the projection's own boards give (ranked per site board, not in one pass).
        assert feed.ranked_rows() == board_rows(projection, ROSTER)
        # Runs never name a rank that no unchanged row held (each covers at least one such row).
        unchanged_ranks = {row["rank"] for ident, row in shown_before.items() if ident not in {r["id"] for r in delta.rows}}
        assert all(any(first <= rank <= last for rank in unchanged_ranks) for first, last, _ in delta.shifts)
        # Every contestant whose own result changed is sent whole; the rest moved by runs alone.
        sent = {row["id"] for row in delta.rows}
        assert all(ident in sent for ident, row in feed.rows.items() if own_row(row) != before[ident])


LATE = [Entry(7, 20), Entry(8, 10)]  # contestants the roster gains mid-contest
LATE_ROSTER = {**ROSTER, **{e.contestant_id: RosterEntry(f"T{e.contestant_id}", "", "", e.site_id) for e in LATE}}
step = st.one_of(
    st.lists(event_spec.map(lambda spec: (spec[0], spec[1] * 3 % 6 + 1, *spec[2:])), max_size=6),
    st.just("join"),  # the next late contestant joins the projection (a roster import)
    st.just("rebuild"),  # the cache replaces the projection with one rebuilt from the log
)


@settings(max_examples=120, deadline=None)
@given(st.lists(step, max_size=14), st.integers(2, 8))
def test_a_feed_following_changes_gives_what_a_fresh_feed_shows_across_joins_rebuilds_and_a_short_log(steps, keep):
    """The incremental path (the projection's change log), its fallback to a full comparison (a
    rebuilt projection, or a log that no longer reaches the feed's cursor) and late joiners all
    give deltas that bring a screen to the fresh board."""
    projection = ContestProjection(RULESET, ENTRIES)
    projection.changes.keep = keep
    events, late = [], list(LATE)
    feed = ContestFeed(1)
    feed.advance(projection, LATE_ROSTER)
    screen = {row["id"]: row for row in feed.snapshot()["rows"]}
    for item in steps:
        if item == "join":
            if not late:
                continue
            projection.add_entry(late.pop(0))
        elif item == "rebuild":
            projection = ContestProjection.rebuild(RULESET, list(projection.entries.values()), events)
            projection.changes.keep = keep
        else:
            for spec in item:
                events.append(to_event(len(events) + 1, spec))
                projection.apply(events[-1])
        delta = feed.advance(projection, LATE_ROSTER)
        if delta is not None:
            apply(screen, delta.as_json())
        fresh = ContestFeed(1)
        fresh.advance(projection, LATE_ROSTER)
        assert screen == {row["id"]: row for row in fresh.snapshot()["rows"]}
        assert feed.ranked_rows() == board_rows(projection, LATE_ROSTER)


def test_one_mark_lifting_a_contestant_past_tied_ones_is_one_row_and_one_run():
    entries = [Entry(i, 10) for i in range(1, 101)]
    roster = {e.contestant_id: RosterEntry(f"T{e.contestant_id}", "", "", 10) for e in entries}
    projection = ContestProjection(RULESET, entries)
    feed = ContestFeed(1)
    feed.advance(projection, roster)
    projection.apply(to_event(1, ("mark_corrected", 100, "M1", 7, "24")))  # on target: 100 leads alone
    delta = feed.advance(projection, roster)
    assert [row["id"] for row in delta.rows] == [100] and delta.rows[0]["rank"] == 1
    assert delta.shifts == ((1, 1, 1),) and delta.site_shifts == {10: ((1, 1, 1),)}  # the 99 tied at 1 move to 2
    assert "rank" not in own_row(delta.rows[0])
    assert all(row["rank"] == 2 for ident, row in feed.ranked_rows().items() if ident != 100)


def test_distinct_scores_shift_as_one_run_per_jump():
    entries = [Entry(i, 10) for i in range(1, 41)]
    roster = {e.contestant_id: RosterEntry(f"T{e.contestant_id}", "", "", 10) for e in entries}
    projection = ContestProjection(RULESET, entries)
    seq = 0
    for ident in range(1, 41):  # spread totals: M1 on target, near or off, and J1 from 0 to 3
        for spec in (("mark_corrected", ident, "M1", 7, ("24", "23.2", "30")[ident % 3]),
                     ("mark_recorded", ident, "J1", 7, ident % 4), ("mark_recorded", ident, "J1", 8, ident % 4),
                     ("mark_recorded", ident, "J1", 9, ident % 4)):
            seq += 1
            projection.apply(to_event(seq, spec))
    feed = ContestFeed(1)
    feed.advance(projection, roster)
    last = projection.board()[-1].contestant_id
    projection.apply(to_event(seq + 1, ("mark_corrected", last, "M1", 7, "24")))
    delta = feed.advance(projection, roster)
    assert [row["id"] for row in delta.rows] == [last]
    assert len(delta.shifts) == 1 and delta.shifts[0][2] == 1  # everyone it passed moves down by one

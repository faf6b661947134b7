"""Matching rounds: the engine proposes teams for all open needs; staff pin or forbid pairs, re-run,
then send the offers. Two-way selection (双向选择) runs the same way with a stable matching.

A round works on every need that is posted or proposed (a re-run supersedes the last unsent
round), over the available teams with the places they have left (capacity minus the orders they
hold). A pair is never proposed when staff forbade it, when the team declined or let an offer for
that need expire, when the team is away for the whole of the need's time window
(``matching.teams``), or when the cost model finds it ineligible; a need whose window has passed
gets no team. A pinned pair is always proposed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.db import utcnow

from . import lifecycle, orders
from .teams import away_for_window, service_day, window_passed
from .assign import assign
from .costs import CostModel, NeedTable, TeamTable, Weights
from .errors import MatchingError, NotFound
from .models import MatchingEvent, MatchRound, Need, Offer, PairRule, Preference, RoundPair, ServiceTeam
from .places import Geography
from .stable import blocking_pairs, stable_match
from .taxonomy import Taxonomy

METHODS = ("optimal", "stable-needs", "stable-teams")
OFFER_HOURS = 48  # a team has two days to reply to an offer


class Engine:
    """The taxonomy, the places and the weights one deployment matches with."""

    def __init__(self, taxonomy: Taxonomy, geography: Geography, weights: Weights = Weights()):
        self.taxonomy = taxonomy
        self.geography = geography
        self.model = CostModel(taxonomy, geography.km, weights)

    def tables(self, session: Session, needs: list[Need], teams: list[ServiceTeam]) -> tuple[NeedTable, TeamTable]:
        ratings = orders.team_ratings(session)
        loads = orders.team_loads(session)
        need_table = NeedTable([self.taxonomy.codes(n.fields) for n in needs],
                               np.array([self.geography.at(n.place) for n in needs], dtype=np.int64),
                               np.array([n.urgency for n in needs]))
        team_table = TeamTable([self.taxonomy.codes(t.fields) for t in teams],
                               np.array([self.geography.at(t.place) for t in teams], dtype=np.int64),
                               np.array([t.capacity for t in teams]),
                               np.array([loads.get(t.id, 0) for t in teams]),
                               np.array([ratings.get(t.id, (0, 0))[0] for t in teams], dtype=float),
                               np.array([ratings.get(t.id, (0, 0))[1] for t in teams], dtype=float))
        return need_table, team_table

    def reasons(self, need: Need, team: ServiceTeam, table: TeamTable, k: int) -> dict:
        return self.model.parts(need.fields, self.geography.at(need.place), team.fields, self.geography.at(team.place),
                                int(table.load[k]), int(table.capacity[k]), float(table.rating_sum[k]),
                                int(table.rating_count[k]))


def _excluded(session: Session, need_ids: list[int]) -> set[tuple[int, int]]:
    """Pairs never to propose: forbidden by staff, or declined / let expire by the team."""
    forbidden = session.execute(select(PairRule.need_id, PairRule.team_id).where(
        PairRule.kind == "forbid", PairRule.lifted_at.is_(None), PairRule.need_id.in_(need_ids))).all()
    refused = session.execute(select(Offer.need_id, Offer.team_id).where(
        Offer.status.in_(("declined", "expired")), Offer.need_id.in_(need_ids))).all()
    return {tuple(p) for p in forbidden} | {tuple(p) for p in refused}


def _pins(session: Session, need_ids: list[int]) -> dict[int, int]:
    rows = session.execute(select(PairRule.need_id, PairRule.team_id).where(
        PairRule.kind == "pin", PairRule.lifted_at.is_(None), PairRule.need_id.in_(need_ids)).order_by(PairRule.id)).all()
    return {need: team for need, team in rows}


def run_round(session: Session, engine: Engine, *, actor: str, method: str = "optimal",
              now: datetime | None = None) -> tuple[MatchRound, list[MatchingEvent]]:
    """Propose a team for every open need (or none, saying why) and record the round."""
    if method not in METHODS:
        raise MatchingError(f"one of {', '.join(METHODS)}", "method")
    now = now or utcnow()
    today = service_day(now)
    events = orders.expire_due(session, now=now)
    for old in session.scalars(select(MatchRound).where(MatchRound.status == "proposed")):
        old.status = "superseded"
    needs = session.scalars(select(Need).where(Need.status.in_(lifecycle.OPEN)).order_by(Need.id)).all()
    for need in needs:
        if need.status == "proposed":
            events.append(lifecycle.move(session, need, "unpropose", actor=actor))
            need.team_id = None
    teams = _available_teams(session)
    need_table, team_table = engine.tables(session, needs, teams)
    left = np.maximum(team_table.capacity - team_table.load, 0)
    team_at = {t.id: k for k, t in enumerate(teams)}
    need_ids = [n.id for n in needs]
    excluded = _excluded(session, need_ids)
    # Pins first: each takes a place of its team, if the team has one left.
    pinned: dict[int, int] = {}
    for need_id, team_id in _pins(session, need_ids).items():
        k = team_at.get(team_id)
        if k is not None and left[k] > 0 and (need_id, team_id) not in excluded:
            pinned[need_id] = k
            left[k] -= 1
    rest = [i for i, n in enumerate(needs) if n.id not in pinned]
    ineligible, passed = _ineligible([needs[i] for i in rest], teams, excluded, today)
    costs, unmatched = engine.model.dense(_rows(need_table, rest), team_table, ineligible)
    summary: dict = {"needs": len(needs), "teams": len(teams), "pinned": len(pinned)}
    if method == "optimal":
        result = assign(costs, capacity=left, unmatched_cost=unmatched)
        chosen = {rest[i]: j for i, j in result.pairs}
        route = result.route
    else:
        chosen, blocking = _stable(session, needs, team_at, rest, costs, unmatched, left, method)
        summary["blocking_pairs"] = blocking
        route = "deferred-acceptance"
    round_ = MatchRound(method=method, status="proposed", actor=actor, weights=engine.model.weights.as_json(),
                        route=route, summary={}, run_at=now)
    session.add(round_)
    session.flush()
    total = 0.0
    row_of = {i: r for r, i in enumerate(rest)}
    for i, need in enumerate(needs):
        k = pinned.get(need.id, chosen.get(i))
        if k is None:
            r = row_of[i]
            session.add(RoundPair(round_id=round_.id, need_id=need.id, team_id=None, cost=float(unmatched[r]),
                                  reasons=_why_unmatched(teams, costs[r], unmatched[r], passed[r])))
            total += float(unmatched[r])
            continue
        team = teams[k]
        reasons = engine.reasons(need, team, team_table, k)
        if need.id in pinned:
            reasons["pinned"] = True
        session.add(RoundPair(round_id=round_.id, need_id=need.id, team_id=team.id, cost=reasons["cost"],
                              pinned=need.id in pinned, reasons=reasons))
        total += reasons["cost"]
        need.team_id = team.id
        events.append(lifecycle.move(session, need, "propose", actor=actor, team_id=team.id, round_id=round_.id,
                                     cost=reasons["cost"]))
    round_.total_cost = round(total, 4)
    summary["matched"] = sum(1 for n in needs if n.status == "proposed")
    summary["unmatched"] = len(needs) - summary["matched"]
    round_.summary = dict(summary)
    events.append(lifecycle.record(session, "round_run", actor=actor, round_id=round_.id, method=method, **summary))
    return round_, events


def _rows(table: NeedTable, rows: list[int]) -> NeedTable:
    return NeedTable([table.fields[i] for i in rows], table.place[rows], table.urgency[rows])


def _available_teams(session: Session, team_id: int | None = None) -> list[ServiceTeam]:
    """The teams taking orders (or just the one asked for, if it does), in id order."""
    statement = select(ServiceTeam).where(ServiceTeam.available.is_(True)).order_by(ServiceTeam.id)
    if team_id is not None:
        statement = statement.where(ServiceTeam.id == team_id)
    return list(session.scalars(statement))


def _ineligible(needs: list[Need], teams: list[ServiceTeam], excluded: set, today) -> tuple[np.ndarray, np.ndarray]:
    """What rules out a pair besides the cost model: (needs × teams mask of pairs forbidden, refused or
    with the team away for the whole window; per need, whether its window has passed)."""
    mask = away_for_window(needs, teams, today)
    row_at = {n.id: r for r, n in enumerate(needs)}
    team_at = {t.id: k for k, t in enumerate(teams)}
    for need_id, team_id in excluded:
        if need_id in row_at and team_id in team_at:
            mask[row_at[need_id], team_at[team_id]] = True
    passed = np.array([window_passed(n, today) for n in needs], dtype=bool)
    mask[passed] = True
    return mask, passed


def candidates(session: Session, engine: Engine, needs: list[Need], *, team_id: int | None = None,
               now: datetime | None = None) -> dict[int, list[tuple[int, float]]]:
    """Per need, the teams a round could propose for it now, best fit first, with the pair's cost:
    the choices two-way selection offers each side (a round ignores a ranked pair outside them).
    ``team_id``: only that team's column (a team's inbox need not cost every other team)."""
    today = service_day(now or utcnow())
    teams = _available_teams(session, team_id)
    if not needs or not teams:
        return {n.id: [] for n in needs}
    need_table, team_table = engine.tables(session, needs, teams)
    ineligible, _ = _ineligible(needs, teams, _excluded(session, [n.id for n in needs]), today)
    costs, unmatched = engine.model.dense(need_table, team_table, ineligible)
    out = {}
    for r, need in enumerate(needs):
        fits = np.flatnonzero(costs[r] < unmatched[r])
        out[need.id] = [(teams[k].id, round(float(costs[r, k]), 4)) for k in fits[np.argsort(costs[r, fits], kind="stable")]]
    return out


def _why_unmatched(teams: list[ServiceTeam], costs: np.ndarray, u: float, passed: bool) -> dict:
    """Why a need got no team: its window passed, none eligible, or the teams that fit went to needs
    they fit better."""
    if passed:
        return {"unmatched": "window_passed",
                "message": "需求的时间窗口已过，请企业更新或撤回 The need's time window has passed: update or withdraw it"}
    eligible = np.flatnonzero(costs < u)
    if not len(eligible):
        return {"unmatched": "no_eligible_team",
                "message": "没有符合条件的服务队（领域覆盖、距离、时间冲突或已拒绝） "
                           "No eligible team (fields, distance, away in the window, or refused)"}
    best = int(eligible[np.argmin(costs[eligible])])
    return {"unmatched": "outbid", "best_team_id": teams[best].id, "best_team": teams[best].name,
            "best_cost": round(float(costs[best]), 4),
            "message": "合适的服务队已满额或更适合其他需求 The teams that fit are full or fit other needs better"}


def _stable(session, needs, team_at, rows, costs, unmatched, left, method):
    """Two-way selection over the stated preferences; pairs the cost model finds ineligible, or staff
    forbade, are not acceptable."""
    row_at = {needs[i].id: r for r, i in enumerate(rows)}
    prefs = session.execute(select(Preference.side, Preference.need_id, Preference.team_id)
                            .where(Preference.need_id.in_(list(row_at))).order_by(Preference.rank)).all()
    need_prefs: list[list[int]] = [[] for _ in rows]
    team_prefs: list[list[int]] = [[] for _ in team_at]
    for side, need_id, team_id in prefs:
        r, k = row_at.get(need_id), team_at.get(team_id)
        if r is None or k is None or not costs[r, k] < unmatched[r]:
            continue
        (need_prefs[r] if side == "need" else team_prefs[k]).append(k if side == "need" else r)
    match = stable_match(need_prefs, team_prefs, left, proposing="needs" if method == "stable-needs" else "teams")
    blocking = blocking_pairs(match.team_of, need_prefs, team_prefs, left)
    return {rows[r]: k for r, k in enumerate(match.team_of) if k >= 0}, len(blocking)


def set_preferences(session: Session, *, side: str, owner_id: int, ranked: list[int], actor: str) -> list[MatchingEvent]:
    """Replace one side's ranking: a need's teams (side ``need``) or a team's needs (side ``team``)."""
    if side not in ("need", "team"):
        raise MatchingError("need or team", "side")
    if len(set(ranked)) != len(ranked):
        raise MatchingError("each may appear once", "ranked")
    if side == "need":
        orders.get_need(session, owner_id)
        for team_id in ranked:
            orders.get_team(session, team_id)
    else:
        orders.get_team(session, owner_id)
        for need_id in ranked:
            orders.get_need(session, need_id)
    owner = Preference.need_id if side == "need" else Preference.team_id
    for old in session.scalars(select(Preference).where(Preference.side == side, owner == owner_id)):
        session.delete(old)
    session.flush()
    for rank, other in enumerate(ranked, start=1):
        need_id, team_id = (owner_id, other) if side == "need" else (other, owner_id)
        session.add(Preference(side=side, need_id=need_id, team_id=team_id, rank=rank))
    return [lifecycle.record(session, "preferences_set", actor=actor, need_id=owner_id if side == "need" else None,
                             team_id=owner_id if side == "team" else None, side=side, ranked=ranked)]


def add_rule(session: Session, *, need_id: int, team_id: int, kind: str, reason: str, actor: str) -> tuple[PairRule, list[MatchingEvent]]:
    """Pin (always propose) or forbid (never propose) one pair; a new rule on the pair replaces the old."""
    if kind not in ("pin", "forbid"):
        raise MatchingError("pin or forbid", "kind")
    need = orders.get_need(session, need_id)
    orders.get_team(session, team_id)
    if need.status not in lifecycle.OPEN:
        raise MatchingError(f"need {need_id} is {need.status}: only open needs are matched", "need_id", 409)
    now = utcnow()
    active = session.scalars(select(PairRule).where(PairRule.need_id == need_id, PairRule.lifted_at.is_(None)))
    for old in active:
        if old.team_id == team_id or (kind == "pin" and old.kind == "pin"):
            old.lifted_at = now  # one rule per pair; one pin per need
    rule = PairRule(need_id=need_id, team_id=team_id, kind=kind, reason=reason, actor=actor, at=now)
    session.add(rule)
    session.flush()
    return rule, [lifecycle.record(session, f"pair_{'pinned' if kind == 'pin' else 'forbidden'}", actor=actor,
                                   need_id=need_id, team_id=team_id, rule_id=rule.id, reason=reason)]


def lift_rule(session: Session, rule_id: int, *, actor: str) -> list[MatchingEvent]:
    rule = session.get(PairRule, rule_id)
    if rule is None or rule.lifted_at is not None:
        raise NotFound("active pair rule", rule_id, "rule_id")
    rule.lifted_at = utcnow()
    return [lifecycle.record(session, "pair_rule_lifted", actor=actor, need_id=rule.need_id, team_id=rule.team_id,
                             rule_id=rule.id, kind=rule.kind)]


def send_offers(session: Session, round_id: int, *, actor: str, hours: int = OFFER_HOURS,
                now: datetime | None = None) -> list[MatchingEvent]:
    """Offer each proposed pair of the round to its team, with a reply deadline."""
    round_ = session.get(MatchRound, round_id)
    if round_ is None:
        raise NotFound("round", round_id, "round_id")
    if round_.status != "proposed":
        raise MatchingError(f"round {round_id} is {round_.status}: only the latest proposed round is sent",
                            "round_id", 409)
    if not 1 <= hours <= 24 * 14:
        raise MatchingError("1 to 336", "hours")
    now = now or utcnow()
    events = []
    for pair in session.scalars(select(RoundPair).where(RoundPair.round_id == round_id,
                                                        RoundPair.team_id.is_not(None)).order_by(RoundPair.id)):
        need = session.get(Need, pair.need_id)
        if need.status != "proposed" or need.team_id != pair.team_id:
            continue  # withdrawn since the round ran
        offer = Offer(need_id=need.id, team_id=pair.team_id, round_id=round_id, status="offered",
                      deadline=now + timedelta(hours=hours), reasons=pair.reasons, sent_at=now)
        session.add(offer)
        session.flush()
        events.append(lifecycle.move(session, need, "offer", actor=actor, round_id=round_id, offer_id=offer.id,
                                     deadline=offer.deadline.isoformat()))
    round_.status = "sent"
    events.append(lifecycle.record(session, "offers_sent", actor=actor, round_id=round_id, offers=len(events)))
    return events

"""Enterprise talent analysis (人才分析): post competency standards, the ability structure of a
workforce by post, team and workshop, and the per-enterprise report (一企一档).

Everything is derived from the portraits (``queries.trade_portraits``) and the post standards; a
worker's verdict per dimension is the portrait's (a gap only when the whole 95% interval lies below
the requirement), so a group's "below standard" counts only people the evidence says are below.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import portrait
from .errors import ProfileError
from .models import (SKILL_LEVELS, Achievement, Enterprise, Post, PostStandard, StarRating, Team, Worker,
                     Workshop)
from .queries import trade_portraits

GROUPINGS = ("post", "team", "workshop")
# A group has a gap in a dimension when at least this share of its assessed members is below the
# standard, a strength when at least this share is above it.
GAP_SHARE = 0.2
STRENGTH_SHARE = 0.3


class AnalysisError(ProfileError):
    pass


# --- post standards -----------------------------------------------------------------------------

def set_post_standard(session: Session, post_id: int, required: dict[str, float], *,
                      enterprise_id: int | None = None) -> list[PostStandard]:
    """Replace a post's standard (岗位能力标准): required level 0–100 per dimension of its trade.
    ``enterprise_id`` restricts the change to that enterprise's posts (HR)."""
    post = session.get(Post, post_id)
    if post is None or (enterprise_id is not None and post.enterprise_id != enterprise_id):
        raise AnalysisError(f"no post {post_id} in this enterprise", field="post", status=404)
    known, _ = trade_portraits.get(session, post.trade)
    for dimension, level in required.items():
        if known and dimension not in known:
            raise AnalysisError(f"{dimension!r} is not a dimension of {post.trade}; known: {'、'.join(known)}",
                                field=f"required.{dimension}")
        if not 0 <= level <= 100:
            raise AnalysisError(f"{dimension}: a required level is 0–100, not {level}", field=f"required.{dimension}")
    existing = {s.dimension: s for s in session.scalars(select(PostStandard).where(PostStandard.post_id == post_id))}
    for dimension, row in existing.items():
        if dimension not in required:
            session.delete(row)
    out = []
    for dimension, level in required.items():
        row = existing.get(dimension) or PostStandard(post_id=post_id, dimension=dimension)
        row.required = float(level)
        session.add(row)
        out.append(row)
    session.flush()
    return out


# --- workforce structure ------------------------------------------------------------------------

@dataclass
class DimensionSummary:
    dimension: str
    mean: float | None  # over members with sufficient evidence
    assessed: int
    required: float | None  # mean requirement of the members' posts
    below: int = 0  # members whose interval lies wholly below their post's requirement
    above: int = 0
    meets: int = 0

    @property
    def verdict(self) -> str:
        judged = self.below + self.above + self.meets
        if not judged:
            return "unknown"
        if self.below / judged >= GAP_SHARE:
            return "gap"
        if self.above / judged >= STRENGTH_SHARE:
            return "strength"
        return "meets"


@dataclass
class Group:
    kind: str  # post | team | workshop
    name: str
    trade: str
    headcount: int = 0
    levels: Counter = field(default_factory=Counter)
    dimensions: list[DimensionSummary] = field(default_factory=list)


@dataclass
class Member:
    worker: Worker
    post: str
    team: str
    workshop: str
    scores: list[portrait.DimensionScore]
    gaps: dict[str, portrait.Gap]


def _members(session: Session, enterprise_id: int) -> list[Member]:
    rows = session.execute(
        select(Worker, Post.name, Team.name, Workshop.name)
        .outerjoin(Post, Post.id == Worker.post_id).outerjoin(Team, Team.id == Worker.team_id)
        .outerjoin(Workshop, Workshop.id == Team.workshop_id)
        .where(Worker.enterprise_id == enterprise_id).order_by(Worker.id)).all()
    standards: dict[int, dict[str, float]] = {}
    for post_id, dimension, required in session.execute(
            select(PostStandard.post_id, PostStandard.dimension, PostStandard.required)
            .join(Post, Post.id == PostStandard.post_id).where(Post.enterprise_id == enterprise_id)):
        standards.setdefault(post_id, {})[dimension] = required
    members = []
    fitted_by_trade = {}
    for worker, post, team, workshop in rows:
        if worker.trade not in fitted_by_trade:
            fitted_by_trade[worker.trade] = trade_portraits.get(session, worker.trade)
        names, fitted = fitted_by_trade[worker.trade]
        scores = fitted.get(worker.id) or [portrait.to_display(d, 0.0, float("inf")) for d in names]
        gaps = {g.dimension: g for g in portrait.gaps_against(scores, standards.get(worker.post_id, {}))}
        members.append(Member(worker, post or "未定岗", team or "未分班组", workshop or "未分车间", scores, gaps))
    return members


def _group(members: list[Member], kind: str) -> list[Group]:
    groups: dict[tuple[str, str], list[Member]] = {}
    for m in members:
        groups.setdefault((getattr(m, kind), m.worker.trade), []).append(m)
    out = []
    for (name, trade), people in sorted(groups.items()):
        group = Group(kind, name, trade, len(people), Counter(m.worker.skill_level or 0 for m in people))
        for i, dimension in enumerate(s.dimension for s in people[0].scores):
            known = [m.scores[i].score for m in people if m.scores[i].sufficient]
            needs = [m.gaps[dimension].required for m in people if dimension in m.gaps]
            summary = DimensionSummary(dimension, round(sum(known) / len(known), 1) if known else None, len(known),
                                       round(sum(needs) / len(needs), 1) if needs else None)
            verdicts = Counter(m.gaps[dimension].verdict for m in people if dimension in m.gaps)
            summary.below, summary.above, summary.meets = verdicts["gap"], verdicts["strength"], verdicts["meets"]
            group.dimensions.append(summary)
        out.append(group)
    return out


def workforce(session: Session, enterprise_id: int, by: str = "post") -> list[Group]:
    """The ability structure of an enterprise's workforce grouped by post, team or workshop."""
    if by not in GROUPINGS:
        raise AnalysisError(f"group by one of {', '.join(GROUPINGS)}, not {by!r}", field="by")
    if session.get(Enterprise, enterprise_id) is None:
        raise AnalysisError(f"no enterprise {enterprise_id}", field="enterprise", status=404)
    return _group(_members(session, enterprise_id), by)


# --- the per-enterprise report (一企一档) ------------------------------------------------------------

@dataclass
class Finding:
    post: str
    trade: str
    dimension: str
    mean: float | None
    required: float | None
    count: int  # members below (a gap) or above (a strength)
    judged: int


@dataclass
class Report:
    enterprise: Enterprise
    headcount: int
    levels: list[tuple[str, int]]  # (level name, count), lowest first
    senior_share: float  # 高级工 and above
    star_top100: int  # workers in the top 100 of their trade's star ranking
    honours: int
    innovations: int
    insufficient_share: float  # members whose portrait is mostly "evidence insufficient"
    strengths: list[Finding]
    gaps: list[Finding]
    suggestions: list[str]
    groups: list[Group]


def _mentors(members: list[Member], trade: str, dimension: str, limit: int = 3) -> list[str]:
    """Members of the trade whose interval in ``dimension`` clears their standard, best first."""
    strong = [(m.gaps[dimension].score, m.worker.name) for m in members
              if m.worker.trade == trade and dimension in m.gaps and m.gaps[dimension].verdict == "strength"]
    return [name for _, name in sorted(strong, reverse=True)[:limit]]


def enterprise_report(session: Session, enterprise_id: int) -> Report:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise AnalysisError(f"no enterprise {enterprise_id}", field="enterprise", status=404)
    members = _members(session, enterprise_id)
    posts = _group(members, "post")
    levels = Counter(m.worker.skill_level or 0 for m in members)
    headcount = len(members)
    strengths, gaps = [], []
    for group in posts:
        for d in group.dimensions:
            judged = d.below + d.above + d.meets
            if d.verdict == "gap":
                gaps.append(Finding(group.name, group.trade, d.dimension, d.mean, d.required, d.below, judged))
            elif d.verdict == "strength":
                strengths.append(Finding(group.name, group.trade, d.dimension, d.mean, d.required, d.above, judged))
    gaps.sort(key=lambda f: -f.count / f.judged)
    strengths.sort(key=lambda f: -f.count / f.judged)

    worker_ids = [m.worker.id for m in members]
    star_top100 = 0
    for trade in {m.worker.trade for m in members}:
        top = session.scalars(select(StarRating.worker_id).where(StarRating.trade == trade)
                              .order_by(StarRating.mu.desc()).limit(100)).all()
        star_top100 += len(set(top) & set(worker_ids))
    kinds = Counter(dict(session.execute(
        select(Achievement.kind, func.count()).join(Worker, Worker.id == Achievement.worker_id)
        .where(Worker.enterprise_id == enterprise_id).group_by(Achievement.kind)).all()))
    senior = sum(n for level, n in levels.items() if level >= 3)
    insufficient = sum(1 for m in members if sum(not s.sufficient for s in m.scores) * 2 > len(m.scores))

    suggestions = []
    for finding in gaps[:5]:
        mentors = _mentors(members, finding.trade, finding.dimension)
        text = (f"「{finding.post}」的「{finding.dimension}」：{finding.count}/{finding.judged} 人低于岗位标准"
                f"（平均 {finding.mean if finding.mean is not None else '—'}，要求 {finding.required}）。"
                "建议开展专项培训")
        text += f"，并由 {'、'.join(mentors)} 带徒结对（师带徒）。" if mentors else "，并从外部聘请师傅结对带徒。"
        suggestions.append(text)
    if headcount and senior / headcount < 0.4:
        suggestions.append(f"高级工及以上占 {senior / headcount:.0%}，低于四成：建议组织职业技能等级认定，"
                           "以赛促评。")
    if headcount and insufficient / headcount > 0.3:
        suggestions.append(f"{insufficient} 人（{insufficient / headcount:.0%}）的能力画像证据不足：建议组织岗位技能测评，"
                           "或参加岗位技能竞赛，以便画像可信。")
    if not suggestions:
        suggestions.append("各岗位均达到能力标准：建议选送优势岗位骨干参加更高级别竞赛，并申报工匠遴选。")
    return Report(enterprise, headcount,
                  [(SKILL_LEVELS[level][0] if level in SKILL_LEVELS else "未评级", levels[level]) for level in sorted(levels)],
                  senior / headcount if headcount else 0.0, star_top100, kinds.get("honour", 0),
                  kinds.get("patent", 0) + kinds.get("method", 0) + kinds.get("qc", 0),
                  insufficient / headcount if headcount else 0.0, strengths, gaps, suggestions, posts)

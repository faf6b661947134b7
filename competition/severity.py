"""Judge severity across sites: the contest's judgement marks through the many-facet Rasch model.

Every referee's 0–3 score on a judgement aspect is one rating of a contestant, by that referee, on
that aspect. The model (``scoring_rules.mfrm``) puts referees on one severity scale and gives each
contestant a fair judgement score: what an average referee would have given on the same aspects.
Sites whose panels share no referee cannot be compared (a harsh panel looks like weak contestants);
the report is then refused with the groups named, unless staff accept that the sites' contestants
are equally able.

Reads the projection (what the log says now) and the roster; writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring_rules import mfrm
from scoring_rules.model import JudgementAspect

from .errors import InvalidState
from .livefeed import RosterEntry
from .models import Referee, Site
from .projections import ContestProjection


@dataclass(frozen=True)
class RefereeSeverity:
    id: int
    code: str
    name: str
    site_id: int | None
    severity: float  # logits; positive: harsher than the average referee
    se: float
    infit: float
    outfit: float
    ratings: int


@dataclass(frozen=True)
class FairJudgement:
    contestant_id: int
    ticket_no: str
    site_id: int
    ratings: int
    observed: float  # the mean of the scores the contestant's referees gave
    fair: float  # the mean an average referee would be expected to give on the same aspects
    ability: float
    se: float


@dataclass(frozen=True)
class SeverityReport:
    referees: list[RefereeSeverity]
    contestants: list[FairJudgement]
    aspects: dict[str, float]  # difficulty in logits
    thresholds: tuple[float, ...] | dict[str, tuple[float, ...]]
    ratings: int
    assumed_equal_groups: list[list[str]]  # referee codes of each unlinked group, when assumed equal


@dataclass(frozen=True)
class JudgementMarks:
    """What the fit needs from a projection, copied out so the fit runs without its lock."""

    ratings: list[tuple[int, int, str, int]]  # (contestant, referee, aspect, score)
    sites: dict[int, int]  # contestant → site
    scale_max: dict[str, int]  # judgement aspect → its top level
    seq: int = 0  # the log position they stand at


def judgement_marks(projection: ContestProjection) -> JudgementMarks:
    """Every referee's judgement score standing now (a corrected mark counts as corrected; a panel
    override is the panel's decision, not a referee's rating)."""
    tops = {code: aspect.scale_max for code, aspect in projection.ruleset.aspects.items()
            if isinstance(aspect, JudgementAspect)}
    ratings = [(ident, referee, code, score)
               for ident, state in sorted(projection.states.items())
               for code, panel in sorted(state.panels.items()) if code in tops
               for referee, score in sorted(panel.items())]
    return JudgementMarks(ratings, {ident: entry.site_id for ident, entry in projection.entries.items()}, tops,
                          projection.seq)


def severity_report(session: Session, contest_id: int, marks: JudgementMarks, roster: dict[int, RosterEntry], *,
                    assume_equal_sites: bool = False, run: Callable | None = None) -> SeverityReport:
    """Fit the contest's judgement marks; raise ``InvalidState`` when they cannot say anything.

    ``run(fit, *args, **kwargs)``, if given, runs the fit (a second or so for a 20-city contest):
    a server may move it off the thread that serves everyone else. It reads no database."""
    ratings = marks.ratings
    if not ratings:
        raise InvalidState("no judgement marks yet: severity needs referees' 0–3 scores")
    referees = {r.id: r for r in session.scalars(select(Referee).where(Referee.contest_id == contest_id))}
    site_codes = dict(session.execute(select(Site.id, Site.code).where(Site.contest_id == contest_id)).all())
    tops = {marks.scale_max[code] for _, _, code, _ in ratings}
    # One rating scale when every aspect has the same levels (small panels rarely use every level
    # of every aspect); otherwise each aspect its own steps.
    steps_by = None if len(tops) == 1 else "aspect"
    persons, referee_ids, aspect_codes, scores = zip(*ratings)
    try:
        fit = (run or _call)(mfrm.fit, persons, {"referee": referee_ids, "aspect": aspect_codes}, scores,
                             steps_by=steps_by, severity_facet="referee", assume_equal_groups=assume_equal_sites,
                             max_score=tops.pop() if steps_by is None else marks.scale_max)
    except mfrm.DisconnectedDesign as refused:
        groups = "; ".join(_describe(elements, referees, site_codes) for elements, _ in refused.groups)
        raise InvalidState(f"the referees fall into {len(refused.groups)} groups that never rated the same contestant "
                           f"({groups}): a harsh panel cannot be told from weaker contestants across them. Let one "
                           "referee (the chief, say) also mark at every site, or ask for the report assuming the "
                           "sites' contestants are equally able (assume_equal_sites).", field="assume_equal_sites") from None
    except mfrm.DesignError as refused:
        raise InvalidState(f"the judgement marks cannot be fitted yet: {refused}") from None

    by_contestant: dict[int, list[tuple[str, int]]] = {}
    for ident, _, code, score in ratings:
        by_contestant.setdefault(ident, []).append((code, score))
    contestants = []
    for ident, given in sorted(by_contestant.items()):
        person, entry = fit.persons[ident], roster.get(ident)
        contestants.append(FairJudgement(
            ident, entry.ticket_no if entry else "", marks.sites[ident], len(given),
            observed=fmean(score for _, score in given),
            fair=fmean(fit.fair_score(ident, {"aspect": code}) for code, _ in given),
            ability=person.estimate, se=person.se))
    severities = [RefereeSeverity(ident, _code(referees, ident), referees[ident].name if ident in referees else "",
                                  referees[ident].site_id if ident in referees else None,
                                  m.estimate, m.se, m.infit, m.outfit, m.count)
                  for ident, m in fit.facets["referee"].items()]
    return SeverityReport(
        referees=sorted(severities, key=lambda r: -r.severity),
        contestants=contestants,
        aspects={code: m.estimate for code, m in fit.facets["aspect"].items()},
        thresholds=fit.thresholds[None] if steps_by is None else dict(fit.thresholds),
        ratings=len(ratings),
        assumed_equal_groups=[sorted(_code(referees, e) for e in elements) for elements, _ in fit.groups])


def _code(referees: dict[int, Referee], ident: int) -> str:
    """A referee's code (a referee deleted since their marks: their id)."""
    return referees[ident].code if ident in referees else str(ident)


def _call(function: Callable, *args, **kwargs):
    return function(*args, **kwargs)


def _describe(elements: list[int], referees: dict[int, Referee], site_codes: dict[int, str]) -> str:
    sites = sorted({site_codes.get(referees[e].site_id, "chief") for e in elements if e in referees})
    codes = [_code(referees, e) for e in elements]
    return f"site {', '.join(sites)}: {', '.join(codes[:6])}{' …' if len(codes) > 6 else ''}"

"""Services that set a contest up: rule set, sites, roster, referees, panels, start.

Services take a session, flush, never commit; the caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.db import utcnow
from profiles.models import Worker
from scoring_rules import RuleSet, load_ruleset, ruleset_digest
from scoring_rules.model import JudgementAspect, ObjectiveAspect

from . import eventlog
from .errors import AlreadyExists, ConflictOfInterest, ContestError, InvalidSetup, InvalidState, NotFound
from .models import Contest, ContestEvent, Contestant, Panel, PanelMember, Referee, RuleSetVersion, Site, Stage

_RULESETS: dict[str, RuleSet] = {}


def ruleset_of(contest: Contest) -> RuleSet:
    """Return the compiled rule set of a contest; compiled once per digest (versions are immutable)."""
    return _RULESETS.get(contest.rule_set_version.digest) or _compile(contest.rule_set_version)


def ruleset_by_digest(session: Session, digest: str) -> RuleSet:
    """Return the compiled rule set stored under ``digest``: what a command reads with its lock."""
    ruleset = _RULESETS.get(digest)
    if ruleset is None:
        ruleset = _compile(session.scalars(select(RuleSetVersion).where(RuleSetVersion.digest == digest)).one())
    return ruleset


def _compile(version: RuleSetVersion) -> RuleSet:
    ruleset = _RULESETS[version.digest] = load_ruleset(version.source, source=f"{version.code}@{version.version}")
    return ruleset


def store_ruleset(session: Session, text: str) -> RuleSetVersion:
    """Validate a rule-set text and store it once (by digest); raise ``RuleSetError`` if invalid."""
    ruleset = load_ruleset(text)
    digest = ruleset_digest(text)
    existing = session.scalar(select(RuleSetVersion).where(RuleSetVersion.digest == digest))
    if existing is not None:
        return existing
    version = RuleSetVersion(code=ruleset.code, version=ruleset.version, name=ruleset.name, source=text,
                             digest=digest)
    session.add(version)
    session.flush()
    return version


def create_contest(session: Session, *, code: str, name: str, ruleset_text: str) -> Contest:
    """Create a draft contest scored by this rule set, with its stages copied from the rule set."""
    if session.scalar(select(Contest.id).where(Contest.code == code)) is not None:
        raise AlreadyExists(f"a contest with code {code!r} already exists", field="code")
    version = store_ruleset(session, ruleset_text)
    contest = Contest(code=code, name=name, rule_set_version=version)
    session.add(contest)
    session.flush()
    _copy_stages(session, contest)
    return contest


def replace_ruleset(session: Session, contest: Contest, ruleset_text: str) -> Contest:
    """Change a draft contest's rule set; refused once the contest has started (it is frozen)."""
    if contest.status != "draft":
        raise InvalidState(f"contest {contest.code} has started: its rule set is frozen")
    contest.rule_set_version = store_ruleset(session, ruleset_text)
    for stage in list(contest.stages):
        session.delete(stage)
    session.flush()
    session.expire(contest, ["stages"])
    _copy_stages(session, contest)
    return contest


def _copy_stages(session: Session, contest: Contest) -> None:
    for position, stage in enumerate(ruleset_of(contest).stages):
        session.add(Stage(contest_id=contest.id, code=stage.code, name=stage.name, position=position,
                          time_limit_s=stage.time_limit_s))
    session.flush()


def add_site(session: Session, contest: Contest, *, code: str, name: str, city: str = "") -> Site:
    """Add a site to a contest that has not started (every site starts together)."""
    if contest.status != "draft":
        raise InvalidState(f"contest {contest.code} has started: its sites are fixed")
    if session.scalar(select(Site.id).where(Site.contest_id == contest.id, Site.code == code)) is not None:
        raise AlreadyExists(f"site {code!r} already exists in {contest.code}", field="code")
    site = Site(contest_id=contest.id, code=code, name=name, city=city)
    session.add(site)
    session.flush()
    return site


def register_contestant(session: Session, contest: Contest, *, worker: Worker, site: Site, ticket_no: str,
                        station: str = "") -> Contestant:
    """Enter a worker at a site; their enterprise is recorded as of today for conflict checks."""
    if site.contest_id != contest.id:
        raise ContestError(f"site {site.code} is not a site of {contest.code}", field="site")
    if contest.status in ("ended", "finalized"):
        raise InvalidState(f"contest {contest.code} is {contest.status}: the roster is closed")
    taken = session.scalar(select(Contestant.id).where(Contestant.contest_id == contest.id,
                                                       Contestant.ticket_no == ticket_no))
    if taken is not None:
        raise ContestError(f"ticket number {ticket_no} is already used in {contest.code}", field="ticket_no")
    contestant = Contestant(contest_id=contest.id, worker_id=worker.id, enterprise_id=worker.enterprise_id,
                            site_id=site.id, station=station, ticket_no=ticket_no)
    session.add(contestant)
    session.flush()
    return contestant


def add_referee(session: Session, contest: Contest, *, code: str, name: str, enterprise_id: int | None,
                site: Site | None, is_chief: bool = False) -> Referee:
    if not is_chief and site is None:
        raise ContestError("a referee who is not the chief referee works at a site", field="site")
    referee = Referee(contest_id=contest.id, code=code, name=name, enterprise_id=enterprise_id,
                      site_id=None if is_chief else site.id, is_chief=is_chief)
    session.add(referee)
    session.flush()
    return referee


def assign_panel(session: Session, contest: Contest, *, site: Site, aspect_code: str,
                 referees: list[Referee]) -> Panel:
    """Set the referees who mark one aspect at one site, in seat order.

    Refused when a referee works elsewhere, when a judgement panel would exceed the rule set's
    panel size, or when a referee's enterprise has a contestant at this site (回避: nobody
    marks a colleague).
    """
    ruleset = ruleset_of(contest)
    if aspect_code not in ruleset.aspects:
        raise NotFound(f"{aspect_code!r} is not an aspect of {ruleset.code}", field="aspect_code")
    aspect = ruleset.aspects[aspect_code]
    if isinstance(aspect, ObjectiveAspect):
        raise InvalidSetup(f"{aspect_code} is an objective item, scored automatically: it has no panel",
                           field="aspect_code")
    if len({r.id for r in referees}) != len(referees):
        raise InvalidSetup("a referee sits on a panel once", field="referees")
    if isinstance(aspect, JudgementAspect) and len(referees) > aspect.panel_size:
        raise InvalidSetup(f"{aspect_code} is judged by a panel of {aspect.panel_size}, not {len(referees)}",
                           field="referees")
    for referee in referees:
        if referee.contest_id != contest.id or referee.site_id != site.id:
            raise InvalidSetup(f"referee {referee.code} does not work at site {site.code}", field="referees")
        if referee.enterprise_id is not None:
            colleague = session.scalar(select(Contestant).where(
                Contestant.contest_id == contest.id, Contestant.site_id == site.id,
                Contestant.enterprise_id == referee.enterprise_id).limit(1))
            if colleague is not None:
                raise ConflictOfInterest(
                    f"referee {referee.code} is from the same enterprise as contestant {colleague.ticket_no} "
                    f"at site {site.code}", field="referees")
    panel = session.scalar(select(Panel).where(Panel.contest_id == contest.id, Panel.site_id == site.id,
                                               Panel.aspect_code == aspect_code))
    if panel is None:
        panel = Panel(contest_id=contest.id, site_id=site.id, aspect_code=aspect_code)
        session.add(panel)
        session.flush()
    for member in list(panel.members):
        session.delete(member)
    session.flush()
    for seat, referee in enumerate(referees, start=1):
        session.add(PanelMember(panel_id=panel.id, referee_id=referee.id, seat=seat))
    session.flush()
    session.expire(panel, ["members"])
    return panel


def panel_of(session: Session, contest: Contest, site: Site, aspect_code: str) -> list[Referee]:
    """The referees on one aspect's panel at one site, in seat order (empty when none is set)."""
    return list(session.scalars(
        select(Referee).join(PanelMember, PanelMember.referee_id == Referee.id)
        .join(Panel, Panel.id == PanelMember.panel_id)
        .where(Panel.contest_id == contest.id, Panel.site_id == site.id, Panel.aspect_code == aspect_code)
        .order_by(PanelMember.seat)))


def panels_of(session: Session, contest: Contest) -> dict[tuple[int, str], list[Referee]]:
    """Every panel of a contest in one query: (site id, aspect code) → referees in seat order."""
    out: dict[tuple[int, str], list[Referee]] = {}
    for site_id, aspect_code, referee in session.execute(
            select(Panel.site_id, Panel.aspect_code, Referee)
            .join(PanelMember, PanelMember.panel_id == Panel.id).join(Referee, Referee.id == PanelMember.referee_id)
            .where(Panel.contest_id == contest.id).order_by(Panel.id, PanelMember.seat)):
        out.setdefault((site_id, aspect_code), []).append(referee)
    return out


def change_panel(session: Session, contest: Contest, *, site: Site, aspect_code: str, referees: list[Referee],
                 actor: str, command_key: str, reason: str = "") -> list[ContestEvent]:
    """Staff set a panel before the start, or replace its referees during the contest.

    Before the start this is set-up and leaves no event. Once the contest runs, a change needs
    a reason and is logged (``panel_assigned``, 留痕): who sat on the panel before and after.
    Marks a replaced referee already gave stay in the log and keep counting; their successor
    marks the contestants not yet marked. After the end, panels are fixed.
    """
    head = eventlog.lock_head(session, contest.id)
    session.refresh(contest, ["status"])
    if eventlog.find_command(session, contest.id, command_key):
        return []
    if contest.status not in ("draft", "running"):
        raise InvalidState(f"contest {contest.code} is {contest.status}: its panels are fixed")
    before = panel_of(session, contest, site, aspect_code)
    if [r.id for r in before] == [r.id for r in referees]:
        return []
    if contest.status == "running" and not reason.strip():
        raise InvalidSetup("changing a panel during the contest needs a reason", field="reason")
    assign_panel(session, contest, site=site, aspect_code=aspect_code, referees=referees)
    if contest.status == "draft":
        return []
    return eventlog.append(session, contest.id, [eventlog.NewEvent(
        "panel_assigned", {"site": site.code, "aspect": aspect_code, "before": [r.code for r in before],
                           "after": [r.code for r in referees], "reason": reason.strip()},
        aspect_code=aspect_code)], actor=actor, command_key=command_key, head=head)


def fill_empty_panels(session: Session, contest: Contest, *, site: Site, actor: str, command_key: str,
                      reason: str = "") -> tuple[list[str], dict[str, str], list[ContestEvent]]:
    """Give every aspect at a site that has no panel yet its full complement of referees.

    Referees are taken from the site, least-loaded first (the number of panels they already sit
    on), skipping any from a contestant's enterprise there (回避). An aspect that cannot get a
    full panel is left empty and reported, not half-filled. Returns (filled aspects, unfilled
    aspect → why, events).
    """
    ruleset = ruleset_of(contest)
    here = list(session.scalars(select(Referee).where(Referee.contest_id == contest.id, Referee.site_id == site.id,
                                                      Referee.is_chief.is_(False)).order_by(Referee.code)))
    home = set(session.scalars(select(Contestant.enterprise_id).where(
        Contestant.contest_id == contest.id, Contestant.site_id == site.id).distinct()))
    eligible = [r for r in here if r.enterprise_id is None or r.enterprise_id not in home]
    load = {r.id: 0 for r in eligible}
    todo = []
    panels = panels_of(session, contest)
    for aspect in ruleset.aspects.values():
        if isinstance(aspect, ObjectiveAspect):
            continue
        sitting = panels.get((site.id, aspect.code), [])
        for referee in sitting:
            if referee.id in load:
                load[referee.id] += 1
        if not sitting:
            todo.append(aspect)
    filled, unfilled, events = [], {}, []
    for aspect in todo:
        seats = aspect.panel_size if isinstance(aspect, JudgementAspect) else 1
        if len(eligible) < seats:
            unfilled[aspect.code] = f"needs {seats} referees who may mark here; the site has {len(eligible)}"
            continue
        chosen = sorted(eligible, key=lambda r: (load[r.id], r.code))[:seats]
        for referee in chosen:
            load[referee.id] += 1
        events += change_panel(session, contest, site=site, aspect_code=aspect.code, referees=chosen, actor=actor,
                               command_key=f"{command_key}:{aspect.code}"[:100], reason=reason)
        filled.append(aspect.code)
    return filled, unfilled, events


def start_contest(session: Session, contest: Contest, *, actor: str, command_key: str) -> list[ContestEvent]:
    """Start a draft contest at every site; its rule set is frozen from here on."""
    head = eventlog.lock_head(session, contest.id)
    done = eventlog.find_command(session, contest.id, command_key)
    if done:
        return done
    session.refresh(contest, ["status"])
    if contest.status != "draft":
        raise InvalidState(f"contest {contest.code} is already {contest.status}")
    if not contest.sites:
        raise InvalidState(f"contest {contest.code} has no sites")
    contest.status = "running"
    contest.started_at = utcnow()
    version = contest.rule_set_version
    return eventlog.append(session, contest.id, [eventlog.NewEvent("contest_started", {
        "ruleset": version.code, "version": version.version, "digest": version.digest})],
        actor=actor, command_key=command_key, head=head)

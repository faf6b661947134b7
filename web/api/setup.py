"""Staff set a contest up: create it from a rule set, add sites, assign panels.

Roster import (contestants, referees) is in ``rosters``; starting it is a lifecycle command in
``marking``. Panel changes once the contest runs are events in its log, pushed to the referees
whose assignments changed.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from competition import setup
from competition.access import contest_by_code, create_display_link, revoke_display_link
from competition.errors import NotFound
from competition.models import Contestant, DisplayLink, Referee, Site
from scoring_rules import bundled_ruleset_path, load_ruleset_file
from scoring_rules.loader import BUNDLED_DIR
from scoring_rules.model import JudgementAspect, ObjectiveAspect

from ..auth import current_principal, require_roles
from ..extensions import db
from .contests import contest_json
from .schemas import (CommandOut, ContestIn, ContestOut, DisplayLinkIn, DisplayLinkOut, FillPanelsIn, FillPanelsOut, PanelIn, PanelsOut, RuleSetOut,
                      SiteIn, SiteOut)

blp = Blueprint("setup", __name__, url_prefix="/api/v1", description="Contest set-up (staff)")

STAFF = {"security": [{"bearer": []}]}


def _staff_only(view):
    for status, description in {401: "Not signed in", 403: "Not staff"}.items():
        view = blp.alt_response(status, description=description)(view)
    return blp.doc(**STAFF)(view)


def bundled_rulesets():
    for path in sorted(BUNDLED_DIR.glob("*.toml")):
        ruleset = load_ruleset_file(path)
        yield path.stem, ruleset


@blp.route("/rulesets")
class RuleSets(MethodView):
    @blp.response(200, RuleSetOut(many=True))
    def get(self):
        """The rule sets shipped with the platform, to create a contest from."""
        return [{"code": code, "name": r.name, "version": r.version, "trade": r.trade, "total": str(r.total),
                 "aspects": len(r.aspects), "stages": [s.code for s in r.stages]}
                for code, r in bundled_rulesets()]


@blp.route("/contests")
class CreateContest(MethodView):
    @require_roles("admin")
    @blp.arguments(ContestIn)
    @blp.response(201, ContestOut)
    @blp.alt_response(409, description="A contest with this code exists")
    @blp.alt_response(422, description="Invalid input, or a rule set with errors (each by field path)")
    @_staff_only
    def post(self, body):
        """Create a draft contest from a shipped rule set (``ruleset``) or a rule set file (``ruleset_text``)."""
        session = db().session
        if "ruleset" in body:
            try:
                text = bundled_ruleset_path(body["ruleset"]).read_text(encoding="utf-8")
            except FileNotFoundError as exc:
                raise NotFound(str(exc).strip("'\""), field="ruleset") from None
        else:
            text = body["ruleset_text"]
        contest = setup.create_contest(session, code=body["code"], name=body["name"], ruleset_text=text)
        session.commit()
        return contest_json(contest)


@blp.route("/contests/<code>/sites")
class Sites(MethodView):
    @require_roles("admin")
    @blp.arguments(SiteIn)
    @blp.response(201, SiteOut)
    @blp.alt_response(404, description="No such contest")
    @blp.alt_response(409, description="The contest has started, or the site code is taken")
    @_staff_only
    def post(self, body, code: str):
        """Add a site (赛点) to a contest that has not started."""
        session = db().session
        contest = contest_by_code(session, code)
        site = setup.add_site(session, contest, code=body["code"], name=body["name"], city=body["city"])
        session.commit()
        return {"id": site.id, "code": site.code, "name": site.name, "city": site.city}


@blp.route("/contests/<code>/display-links")
class DisplayLinks(MethodView):
    @require_roles("admin")
    @blp.arguments(DisplayLinkIn)
    @blp.response(201, DisplayLinkOut)
    @blp.alt_response(404, description="No such contest or site")
    @_staff_only
    def post(self, body, code: str):
        """A read-only big-screen link: the overall board, or one site's (``site``)."""
        session = db().session
        contest = contest_by_code(session, code)
        site = _site(session, contest, body["site"]) if body.get("site") else None
        label = body["label"] or (f"{site.name}大屏 {site.code} screen" if site else "总榜大屏 Overall screen")
        link = create_display_link(session, contest, site_id=site.id if site else None, label=label)
        session.commit()
        return _link_json(link)

    @require_roles("admin")
    @blp.response(200, DisplayLinkOut(many=True))
    @blp.alt_response(404, description="No such contest")
    @_staff_only
    def get(self, code: str):
        """Every big-screen link of the contest, revoked ones included (newest last)."""
        session = db().session
        contest = contest_by_code(session, code)
        return [_link_json(link) for link in
                session.scalars(select(DisplayLink).where(DisplayLink.contest_id == contest.id).order_by(DisplayLink.id))]


@blp.route("/contests/<code>/display-links/<int(max=2147483647):link_id>")
class DisplayLinkView(MethodView):
    @require_roles("admin")
    @blp.response(200, DisplayLinkOut)
    @blp.alt_response(404, description="No such contest or link")
    @_staff_only
    def delete(self, code: str, link_id: int):
        """Revoke a big-screen link: its page is refused, and screens connected with it are cut off."""
        session = db().session
        link = revoke_display_link(session, contest_by_code(session, code), link_id)
        session.commit()
        current_app.extensions["jx_live"].drop_display(link.id)
        return _link_json(link)


def _link_json(link: DisplayLink) -> dict:
    return {"id": link.id, "token": link.token, "url": url_for("views.screen", token=link.token, _external=True),
            "site": link.site.code if link.site else None, "label": link.label, "revoked_at": link.revoked_at}


def _commit_and_publish(contest_id: int, events) -> None:
    db().session.commit()
    if events:
        current_app.extensions["jx_publisher"].publish(contest_id, events)


def _site(session, contest, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.contest_id == contest.id, Site.code == code))
    if site is None:
        raise NotFound(f"no site {code!r} in {contest.code}", field="site")
    return site


@blp.route("/contests/<code>/panels")
class Panels(MethodView):
    @require_roles("admin")
    @blp.response(200, PanelsOut)
    @blp.alt_response(404, description="No such contest")
    @_staff_only
    def get(self, code: str):
        """Every site's referees and panels: who marks which aspect, and who may not (回避)."""
        session = db().session
        contest = contest_by_code(session, code)
        ruleset = setup.ruleset_of(contest)
        marked = [a for a in ruleset.aspects.values() if not isinstance(a, ObjectiveAspect)]
        referees = session.scalars(select(Referee).where(Referee.contest_id == contest.id, Referee.is_chief.is_(False))
                                   .order_by(Referee.code)).all()
        home = {(site_id, enterprise_id) for site_id, enterprise_id in session.execute(
            select(Contestant.site_id, Contestant.enterprise_id).where(Contestant.contest_id == contest.id).distinct())}
        panels = setup.panels_of(session, contest)
        sites = []
        for site in contest.sites:
            here = [r for r in referees if r.site_id == site.id]
            blocked = {r.code: "同单位选手在本赛点 · a colleague competes at this site" for r in here
                       if r.enterprise_id is not None and (site.id, r.enterprise_id) in home}
            sites.append({
                "code": site.code, "name": site.name,
                "referees": [{"code": r.code, "name": r.name, "enterprise": r.enterprise.name if r.enterprise else None}
                             for r in here],
                "panels": [{"aspect": a.code, "name": a.name, "kind": a.kind,
                            "seats": a.panel_size if isinstance(a, JudgementAspect) else 1,
                            "referees": [r.code for r in panels.get((site.id, a.code), [])],
                            "blocked": blocked} for a in marked]})
        return {"contest": contest.code, "status": contest.status, "sites": sites}

    @require_roles("admin")
    @blp.arguments(PanelIn)
    @blp.response(200, CommandOut)
    @blp.alt_response(403, description="A referee from a contestant's enterprise at this site (回避)")
    @blp.alt_response(404, description="No such contest, site, aspect or referee")
    @blp.alt_response(409, description="The contest has ended: panels are fixed")
    @blp.alt_response(422, description="Invalid input: too many referees, a referee from another site, no reason")
    @_staff_only
    def put(self, body, code: str):
        """Set who marks one aspect at one site, in seat order; during the contest with a reason (logged)."""
        session = db().session
        contest = contest_by_code(session, code)
        site = _site(session, contest, body["site"])
        by_code = {r.code: r for r in session.scalars(select(Referee).where(Referee.contest_id == contest.id,
                                                                            Referee.code.in_(body["referees"])))}
        missing = [c for c in body["referees"] if c not in by_code]
        if missing:
            raise NotFound(f"no referee {', '.join(missing)} in {contest.code}", field="referees")
        events = setup.change_panel(session, contest, site=site, aspect_code=body["aspect"],
                                    referees=[by_code[c] for c in body["referees"]],
                                    actor=current_principal().scope.principal, command_key=body["idempotency_key"],
                                    reason=body["reason"])
        _commit_and_publish(contest.id, events)
        return {"duplicate": False, "seq": contest.last_seq,
                "events": [{"seq": e.seq, "kind": e.kind, "contestant_id": None, "aspect_code": e.aspect_code}
                           for e in events], "sheet": {}}


@blp.route("/contests/<code>/panels/fill")
class FillPanels(MethodView):
    @require_roles("admin")
    @blp.arguments(FillPanelsIn)
    @blp.response(200, FillPanelsOut)
    @blp.alt_response(404, description="No such contest or site")
    @blp.alt_response(409, description="The contest has ended: panels are fixed")
    @blp.alt_response(422, description="Invalid input, or no reason while the contest is running")
    @_staff_only
    def post(self, body, code: str):
        """Give every aspect at a site without a panel a full one: least-loaded referees first, 回避 respected."""
        session = db().session
        contest = contest_by_code(session, code)
        site = _site(session, contest, body["site"])
        filled, unfilled, events = setup.fill_empty_panels(
            session, contest, site=site, actor=current_principal().scope.principal,
            command_key=body["idempotency_key"], reason=body["reason"])
        _commit_and_publish(contest.id, events)
        return {"filled": filled, "unfilled": unfilled}

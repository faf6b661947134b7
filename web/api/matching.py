"""Matching over the API: needs (需求), service teams and their inbox (接单), staff matching rounds,
two-way selection, the bounty board (揭榜挂帅) and master-apprentice pairing (师带徒).

Every write: parse, call one ``matching`` service, commit, then hand the events to the publisher
(team inboxes, the enterprise's page and the staff console update live).
"""

from __future__ import annotations

from flask import abort, current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from matching import bounties, orders, pairing, queries, rounds, teams
from matching.errors import MatchingError
from matching.models import NEED_KINDS, Bounty, MatchRound, Need, Offer, ServiceTeam
from profiles.models import Worker

from ..access import may_read_worker, own_worker_id
from ..auth import current_principal, require_roles
from ..extensions import db
from .schemas import ROW_ID, Strict

blp = Blueprint("matching", __name__, url_prefix="/api/v1",
                description="Matching service teams to enterprise needs: rounds, offers, two-way selection, bounties")
SIGNED_IN = {"security": [{"bearer": []}]}
ROUTE_ID = "int(max=2147483647)"


def non_negative(value) -> None:
    """Money and hours: 0 or more, below a trillion (a Range here would print its bounds as strings)."""
    if value < 0 or value >= 10**12:
        raise ValidationError("must be 0 or more (and below 10^12)")


def field_codes():
    """The ``fields`` member of a body (a Python attribute ``fields_``: ``fields`` is marshmallow's module)."""
    return fields.List(fields.String(validate=validate.Length(min=1, max=60)), required=True, data_key="fields",
                       validate=validate.Length(min=1, max=10), metadata={"description": "Skill field codes"})


def engine() -> rounds.Engine:
    return current_app.extensions["jx_matching"]


def publish(events) -> None:
    current_app.extensions["jx_publisher"].publish_matching(events)


def actor() -> str:
    return current_principal().scope.principal


# --- schemas -----------------------------------------------------------------------------------

class NeedIn(Strict):
    enterprise_id = fields.Integer(validate=ROW_ID, metadata={"description": "Staff only; HR posts for its own"})
    kind = fields.String(required=True, validate=validate.OneOf(list(NEED_KINDS)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    fields_ = field_codes()
    urgency = fields.Integer(load_default=1, validate=validate.Range(1, 3))
    place = fields.String(required=True, validate=validate.Length(min=1, max=60))
    window_start = fields.Date(allow_none=True)
    window_end = fields.Date(allow_none=True)


class NeedQuery(Strict):
    status = fields.String(validate=validate.OneOf(["posted", "proposed", "offered", "accepted", "in_service",
                                                    "completed", "rated", "withdrawn"]))


class OfferOut(Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    team_id = fields.Integer()
    team = fields.String()
    status = fields.String(metadata={"description": "offered | accepted | declined | expired | withdrawn"})
    deadline = fields.DateTime()
    sent_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    reply = fields.String()
    reasons = fields.Dict(metadata={"description": "Why this team: each cost part, coverage per field, km, load, ratings"})


class NeedOut(Schema):
    id = fields.Integer()
    enterprise_id = fields.Integer()
    enterprise = fields.String()
    kind = fields.String()
    kind_name = fields.String()
    title = fields.String()
    description = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    urgency = fields.Integer()
    place = fields.String()
    window_start = fields.Date(allow_none=True)
    window_end = fields.Date(allow_none=True)
    status = fields.String()
    status_name = fields.String()
    team_id = fields.Integer(allow_none=True)
    team = fields.String(allow_none=True)
    posted_at = fields.DateTime()
    offer = fields.Nested(OfferOut, allow_none=True)
    solved = fields.Boolean(allow_none=True)
    benefit_yuan = fields.String(allow_none=True)
    hours = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    history = fields.List(fields.Dict())
    preferences = fields.List(fields.Integer(), metadata={"description": "双向选择: the teams it ranked, best first"})


class DeclineIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CompleteIn(Strict):
    solved = fields.Boolean(required=True)
    benefit_yuan = fields.Decimal(required=True, as_string=True, validate=non_negative,
                                  metadata={"description": "Benefit to the enterprise, yuan (exact)"})
    hours = fields.Decimal(required=True, as_string=True, validate=non_negative)


class RateIn(Strict):
    rating = fields.Integer(required=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class RankingIn(Strict):
    ranked = fields.List(fields.Integer(validate=ROW_ID), required=True, validate=validate.Length(max=200),
                         metadata={"description": "Best first: team ids (for a need) or need ids (for a team)"})


class MemberOut(Schema):
    worker_id = fields.Integer()
    name = fields.String()
    leader = fields.Boolean()


class TeamSettingsIn(Strict):
    available = fields.Boolean(metadata={"description": "Takes new orders at all"})
    capacity = fields.Integer(validate=validate.Range(1, teams.MAX_CAPACITY),
                              metadata={"description": "Orders at once (offered, accepted, in service)"})
    away_from = fields.Date(allow_none=True, metadata={"description": "With away_until: days the team cannot serve; "
                                                                      "both null to clear"})
    away_until = fields.Date(allow_none=True)


class TeamOut(Schema):
    id = fields.Integer()
    name = fields.String()
    place = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    capacity = fields.Integer()
    available = fields.Boolean()
    away_from = fields.Date(allow_none=True)
    away_until = fields.Date(allow_none=True)
    load = fields.Integer()
    members = fields.List(fields.Nested(MemberOut))
    ratings = fields.Integer()
    rating_mean = fields.Float(allow_none=True)
    orders = fields.List(fields.Nested(NeedOut))
    solved = fields.Integer()
    preferences = fields.List(fields.Integer(), metadata={"description": "双向选择: the needs it ranked, best first"})


class PendingOut(OfferOut):
    need = fields.Nested(NeedOut)


class InboxOut(Schema):
    team = fields.Nested(TeamOut)
    pending = fields.List(fields.Nested(PendingOut), metadata={"description": "Offers awaiting a reply, each with its need"})
    serving = fields.List(fields.Nested(NeedOut))
    replied = fields.List(fields.Nested(OfferOut))


class MatchRoundIn(Strict):
    method = fields.String(load_default="optimal", validate=validate.OneOf(list(rounds.METHODS)),
                           metadata={"description": "optimal (min total cost) or two-way selection: "
                                                    "stable-needs / stable-teams (who proposes)"})


class SendIn(Strict):
    hours = fields.Integer(load_default=rounds.OFFER_HOURS, validate=validate.Range(1, 336),
                           metadata={"description": "Hours a team has to reply"})


class RoundPairOut(Schema):
    need_id = fields.Integer()
    need = fields.String()
    enterprise = fields.String(allow_none=True)
    need_status = fields.String()
    window_start = fields.Date(allow_none=True)
    window_end = fields.Date(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    team = fields.String(allow_none=True)
    cost = fields.Float(allow_none=True)
    pinned = fields.Boolean()
    reasons = fields.Dict()


class MatchRoundOut(Schema):
    id = fields.Integer()
    method = fields.String()
    status = fields.String(metadata={"description": "proposed | sent | superseded"})
    actor = fields.String()
    run_at = fields.DateTime()
    weights = fields.Dict()
    route = fields.String()
    total_cost = fields.Float(allow_none=True)
    summary = fields.Dict()
    pairs = fields.List(fields.Nested(RoundPairOut))


class RuleIn(Strict):
    need_id = fields.Integer(required=True, validate=ROW_ID)
    team_id = fields.Integer(required=True, validate=ROW_ID)
    kind = fields.String(required=True, validate=validate.OneOf(["pin", "forbid"]))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RuleOut(Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    team_id = fields.Integer()
    team = fields.String(allow_none=True)
    kind = fields.String()
    reason = fields.String()
    actor = fields.String()
    at = fields.DateTime()


class BountyIn(Strict):
    enterprise_id = fields.Integer(validate=ROW_ID, metadata={"description": "Staff only; HR posts for its own"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    fields_ = field_codes()
    reward_yuan = fields.Decimal(required=True, as_string=True, validate=non_negative)
    deadline = fields.Date(required=True)


class ClaimIn(Strict):
    proposal = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    worker_id = fields.Integer(validate=ROW_ID, metadata={"description": "Staff entering a craftsman's own claim"})


class ChooseIn(Strict):
    claim_id = fields.Integer(required=True, validate=ROW_ID)


class PayIn(Strict):
    paid_yuan = fields.Decimal(required=True, as_string=True, validate=non_negative)


class BountyOut(Schema):
    id = fields.Integer()
    enterprise_id = fields.Integer()
    enterprise = fields.String()
    title = fields.String()
    description = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    reward_yuan = fields.String()
    deadline = fields.Date()
    status = fields.String(metadata={"description": "open | awarded | paid"})
    chosen_claim_id = fields.Integer(allow_none=True)
    paid_yuan = fields.String(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    claims = fields.List(fields.Dict())


class PairingIn(Strict):
    apprentice_ids = fields.List(fields.Integer(validate=ROW_ID), required=True, validate=validate.Length(min=1, max=500))
    master_ids = fields.List(fields.Integer(validate=ROW_ID), required=True, validate=validate.Length(min=1, max=500))
    capacity = fields.Integer(load_default=2, validate=validate.Range(1, 10))


class PairingRecordIn(Strict):
    master_id = fields.Integer(required=True, validate=ROW_ID)
    apprentice_id = fields.Integer(required=True, validate=ROW_ID)
    since = fields.Date(metadata={"description": "Default: today"})


class PairingRecordOut(Schema):
    id = fields.Integer()
    master_id = fields.Integer()
    master = fields.String()
    apprentice_id = fields.Integer()
    apprentice = fields.String()
    trade = fields.String()
    since = fields.Date()


class PairingOut(Schema):
    master_id = fields.Integer()
    apprentice_id = fields.Integer()
    fit = fields.Float(metadata={"description": "Share of the apprentice's gaps the master covers, 0–1"})
    dimensions = fields.List(fields.Dict())


class FieldOut(Schema):
    code = fields.String()
    name = fields.String()
    name_en = fields.String()


class PlaceOut(Schema):
    code = fields.String()
    name = fields.String()
    district = fields.String()


# --- access --------------------------------------------------------------------------------------

def _enterprise_for_post(body: dict) -> int:
    """HR posts for its own enterprise; staff name one."""
    principal = current_principal()
    if principal.role == "hr":
        if body.get("enterprise_id") not in (None, principal.scope.enterprise_id):
            abort(403, "只能为本企业发布 Only for your own enterprise")
        return principal.scope.enterprise_id
    if body.get("enterprise_id") is None:
        raise MatchingError("staff name the enterprise the need is for", "enterprise_id")
    return body["enterprise_id"]


def _own_need(need_id: int) -> Need:
    need = orders.get_need(db().session, need_id)
    principal = current_principal()
    if principal.role == "hr" and need.enterprise_id != principal.scope.enterprise_id:
        abort(403, "只能操作本企业的需求 Only your own enterprise's needs")
    return need


def _team_id(team_id: int) -> int:
    """A team account acts only for its own team; staff for any."""
    orders.get_team(db().session, team_id)
    principal = current_principal()
    if principal.role == "team" and principal.scope.service_team_id != team_id:
        abort(403, "只能查看本队 Only your own team")
    return team_id


def _bounty_answer(events, bounty_id: int) -> dict:
    """Commit a bounty's step, tell its parties, answer with the bounty as it now stands."""
    session = db().session
    session.commit()
    publish(events)
    return queries.bounty_json(session, session.get(Bounty, bounty_id))


def _own_bounty(bounty_id: int) -> Bounty:
    bounty = bounties.get_bounty(db().session, bounty_id)
    principal = current_principal()
    if principal.role == "hr" and bounty.enterprise_id != principal.scope.enterprise_id:
        abort(403, "只能操作本企业的榜单 Only your own enterprise's bounties")
    return bounty


# --- reference data ------------------------------------------------------------------------------

@blp.route("/matching/fields")
class Fields(MethodView):
    @blp.response(200, FieldOut(many=True))
    def get(self):
        """The skill taxonomy's fields (技能分类)."""
        return [{"code": f.code, "name": f.name, "name_en": f.name_en} for f in engine().taxonomy.fields]


@blp.route("/matching/places")
class Places(MethodView):
    @blp.response(200, PlaceOut(many=True))
    def get(self):
        """Townships and districts (乡镇街道) needs and teams are at."""
        return [{"code": p.code, "name": p.name, "district": p.district} for p in engine().geography.places]


# --- needs ---------------------------------------------------------------------------------------

@blp.route("/needs")
class Needs(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(NeedQuery, location="query")
    @blp.response(200, NeedOut(many=True))
    @blp.doc(**SIGNED_IN)
    def get(self, query):
        """Needs, newest first: every enterprise's (staff) or your own (HR)."""
        session = db().session
        statement = select(Need).order_by(Need.id.desc())
        principal = current_principal()
        if principal.role == "hr":
            statement = statement.where(Need.enterprise_id == principal.scope.enterprise_id)
        if "status" in query:
            statement = statement.where(Need.status == query["status"])
        return queries.needs_json(session, session.scalars(statement.limit(500)))

    @require_roles("admin", "hr")
    @blp.arguments(NeedIn)
    @blp.response(201, NeedOut)
    @blp.alt_response(403, description="Another enterprise")
    @blp.alt_response(404, description="No such enterprise")
    @blp.alt_response(422, description="Unknown field or place, bad window")
    @blp.doc(**SIGNED_IN)
    def post(self, body):
        """Post a need: it waits for the next matching round."""
        session = db().session
        enterprise_id = _enterprise_for_post(body)
        need, events = orders.post_need(session, engine().taxonomy, engine().geography, enterprise_id=enterprise_id,
                                        kind=body["kind"], title=body["title"], description=body["description"],
                                        fields=body["fields_"], urgency=body["urgency"], place=body["place"],
                                        window_start=body.get("window_start"), window_end=body.get("window_end"),
                                        actor=actor())
        session.commit()
        publish(events)
        return queries.need_json(session, need)


@blp.route(f"/needs/<{ROUTE_ID}:need_id>")
class NeedView(MethodView):
    @require_roles("admin", "hr")
    @blp.response(200, NeedOut)
    @blp.alt_response(403, description="Another enterprise's need")
    @blp.alt_response(404, description="No such need")
    @blp.doc(**SIGNED_IN)
    def get(self, need_id: int):
        """One need with every step of its history (留痕)."""
        return queries.need_json(db().session, _own_need(need_id), history=True)


def _need_step(need_id: int, step, **kwargs):
    session = db().session
    _own_need(need_id)
    events = step(session, need_id, actor=actor(), **kwargs)
    session.commit()
    publish(events)
    return queries.need_json(session, session.get(Need, need_id), history=True)


@blp.route(f"/needs/<{ROUTE_ID}:need_id>/withdraw")
class Withdraw(MethodView):
    @require_roles("admin", "hr")
    @blp.response(200, NeedOut)
    @blp.alt_response(403, description="Another enterprise's need")
    @blp.alt_response(404, description="No such need")
    @blp.alt_response(409, description="Not withdrawable in its state")
    @blp.doc(**SIGNED_IN)
    def post(self, need_id: int):
        """Withdraw a need not yet accepted (an open offer is withdrawn with it)."""
        return _need_step(need_id, orders.withdraw)


@blp.route(f"/needs/<{ROUTE_ID}:need_id>/start")
class Start(MethodView):
    @require_roles("admin", "hr")
    @blp.response(200, NeedOut)
    @blp.alt_response(403, description="Another enterprise's need")
    @blp.alt_response(404, description="No such need")
    @blp.alt_response(409, description="No accepted team yet")
    @blp.doc(**SIGNED_IN)
    def post(self, need_id: int):
        """Confirm the team that accepted: service begins."""
        return _need_step(need_id, orders.start)


@blp.route(f"/needs/<{ROUTE_ID}:need_id>/complete")
class Complete(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(CompleteIn)
    @blp.response(200, NeedOut)
    @blp.alt_response(403, description="Another enterprise's need")
    @blp.alt_response(404, description="No such need")
    @blp.alt_response(409, description="Not in service")
    @blp.doc(**SIGNED_IN)
    def post(self, body, need_id: int):
        """Record the outcome: solved or not, benefit in yuan, hours."""
        return _need_step(need_id, orders.complete, solved=body["solved"], benefit_yuan=body["benefit_yuan"],
                          hours=body["hours"])


@blp.route(f"/needs/<{ROUTE_ID}:need_id>/rating")
class Rate(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(RateIn)
    @blp.response(200, NeedOut)
    @blp.alt_response(403, description="Another enterprise's need")
    @blp.alt_response(404, description="No such need")
    @blp.alt_response(409, description="Not completed, or rated already")
    @blp.doc(**SIGNED_IN)
    def post(self, body, need_id: int):
        """Rate the service 1–5: it enters the team's record and its members' resumes."""
        return _need_step(need_id, orders.rate, rating=body["rating"], comment=body["comment"])


@blp.route(f"/needs/<{ROUTE_ID}:need_id>/preferences")
class NeedPreferences(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(RankingIn)
    @blp.response(200, NeedOut)
    @blp.alt_response(403, description="Another enterprise's need")
    @blp.alt_response(404, description="No such need or team")
    @blp.alt_response(422, description="A team listed twice")
    @blp.doc(**SIGNED_IN)
    def put(self, body, need_id: int):
        """双向选择: the enterprise ranks teams for this need, best first."""
        session = db().session
        _own_need(need_id)
        events = rounds.set_preferences(session, side="need", owner_id=need_id, ranked=body["ranked"], actor=actor())
        session.commit()
        publish(events)
        return dict(queries.need_json(session, session.get(Need, need_id)),
                    preferences=queries.rankings(session, "need", [need_id]).get(need_id, []))


# --- teams ---------------------------------------------------------------------------------------

@blp.route("/teams")
class Teams(MethodView):
    @require_roles("admin", "hr", "team")
    @blp.response(200, TeamOut(many=True))
    @blp.doc(**SIGNED_IN)
    def get(self):
        """Every service team with its fields, capacity, load and ratings."""
        session = db().session
        return [queries.team_json(session, t) for t in session.scalars(select(ServiceTeam).order_by(ServiceTeam.id))]


@blp.route(f"/teams/<{ROUTE_ID}:team_id>")
class TeamView(MethodView):
    @require_roles("admin", "hr", "team")
    @blp.response(200, TeamOut)
    @blp.alt_response(404, description="No such team")
    @blp.doc(**SIGNED_IN)
    def get(self, team_id: int):
        """A team's record: members, completed orders with outcomes and ratings."""
        session = db().session
        return queries.team_json(session, orders.get_team(session, team_id), record=True)

    @require_roles("admin", "team")
    @blp.arguments(TeamSettingsIn)
    @blp.response(200, TeamOut)
    @blp.alt_response(403, description="Another team")
    @blp.alt_response(404, description="No such team")
    @blp.alt_response(422, description="Capacity out of range, an away period with one date or ending before it starts")
    @blp.doc(**SIGNED_IN)
    def patch(self, body, team_id: int):
        """A team's availability: taking orders or not, how many at once, days it is away. Staff or the team."""
        session = db().session
        _team_id(team_id)
        settings = {name: body[name] for name in ("available", "capacity") if name in body}
        if "away_from" in body or "away_until" in body:
            start, end = body.get("away_from"), body.get("away_until")
            settings["away"] = None if start is None and end is None else (start, end)
        events = teams.update_team(session, team_id, actor=actor(), **settings)
        session.commit()
        publish(events)
        return queries.team_json(session, session.get(ServiceTeam, team_id), record=True)


@blp.route(f"/teams/<{ROUTE_ID}:team_id>/inbox")
class Inbox(MethodView):
    @require_roles("admin", "team")
    @blp.response(200, InboxOut)
    @blp.alt_response(403, description="Another team's inbox")
    @blp.alt_response(404, description="No such team")
    @blp.doc(**SIGNED_IN)
    def get(self, team_id: int):
        """Offers awaiting the team's reply (expired ones are expired first), orders it serves."""
        session = db().session
        _team_id(team_id)
        events = orders.expire_due(session)
        if events:
            session.commit()
            publish(events)
        return queries.inbox(session, team_id)


@blp.route(f"/teams/<{ROUTE_ID}:team_id>/preferences")
class TeamPreferences(MethodView):
    @require_roles("admin", "team")
    @blp.arguments(RankingIn)
    @blp.response(200, TeamOut)
    @blp.alt_response(403, description="Another team")
    @blp.alt_response(404, description="No such team or need")
    @blp.alt_response(422, description="A need listed twice")
    @blp.doc(**SIGNED_IN)
    def put(self, body, team_id: int):
        """双向选择: the team ranks needs, best first."""
        session = db().session
        _team_id(team_id)
        events = rounds.set_preferences(session, side="team", owner_id=team_id, ranked=body["ranked"], actor=actor())
        session.commit()
        publish(events)
        return dict(queries.team_json(session, session.get(ServiceTeam, team_id)),
                    preferences=queries.rankings(session, "team", [team_id]).get(team_id, []))


def _offer_team(offer_id: int) -> int:
    offer = db().session.get(Offer, offer_id)
    principal = current_principal()
    if principal.role == "team":
        return principal.scope.service_team_id
    if offer is None:
        abort(404, f"no offer {offer_id}")
    return offer.team_id


@blp.route(f"/offers/<{ROUTE_ID}:offer_id>/accept")
class Accept(MethodView):
    @require_roles("admin", "team")
    @blp.response(200, InboxOut)
    @blp.alt_response(404, description="No such offer for this team")
    @blp.alt_response(409, description="Replied already, or past its deadline")
    @blp.doc(**SIGNED_IN)
    def post(self, offer_id: int):
        """接单: the team takes the order."""
        session = db().session
        team_id = _offer_team(offer_id)
        events = orders.accept(session, offer_id, team_id=team_id, actor=actor())
        session.commit()
        publish(events)
        return queries.inbox(session, team_id)


@blp.route(f"/offers/<{ROUTE_ID}:offer_id>/decline")
class Decline(MethodView):
    @require_roles("admin", "team")
    @blp.arguments(DeclineIn)
    @blp.response(200, InboxOut)
    @blp.alt_response(404, description="No such offer for this team")
    @blp.alt_response(409, description="Replied already")
    @blp.doc(**SIGNED_IN)
    def post(self, body, offer_id: int):
        """Decline with a reason: the need goes back to matching without this team."""
        session = db().session
        team_id = _offer_team(offer_id)
        events = orders.decline(session, offer_id, team_id=team_id, reason=body["reason"], actor=actor())
        session.commit()
        publish(events)
        return queries.inbox(session, team_id)


# --- rounds (staff) --------------------------------------------------------------------------------

@blp.route("/matching/rounds")
class Rounds(MethodView):
    @require_roles("admin")
    @blp.response(200, MatchRoundOut(many=True))
    @blp.doc(**SIGNED_IN)
    def get(self):
        """Recent rounds, newest first."""
        session = db().session
        return [queries.round_json(session, r) for r in
                session.scalars(select(MatchRound).order_by(MatchRound.id.desc()).limit(20))]

    @require_roles("admin")
    @blp.arguments(MatchRoundIn)
    @blp.response(201, MatchRoundOut)
    @blp.doc(**SIGNED_IN)
    def post(self, body):
        """Run a round over every open need: the proposed team for each, with its reasons, or why none."""
        session = db().session
        round_, events = rounds.run_round(session, engine(), actor=actor(), method=body["method"])
        session.commit()
        publish(events)
        return queries.round_json(session, round_)


@blp.route(f"/matching/rounds/<{ROUTE_ID}:round_id>")
class RoundView(MethodView):
    @require_roles("admin")
    @blp.response(200, MatchRoundOut)
    @blp.alt_response(404, description="No such round")
    @blp.doc(**SIGNED_IN)
    def get(self, round_id: int):
        session = db().session
        round_ = session.get(MatchRound, round_id)
        if round_ is None:
            abort(404, f"no round {round_id}")
        return queries.round_json(session, round_)


@blp.route(f"/matching/rounds/<{ROUTE_ID}:round_id>/send")
class Send(MethodView):
    @require_roles("admin")
    @blp.arguments(SendIn)
    @blp.response(200, MatchRoundOut)
    @blp.alt_response(404, description="No such round")
    @blp.alt_response(409, description="Superseded or sent already")
    @blp.doc(**SIGNED_IN)
    def post(self, body, round_id: int):
        """Send the round's proposals to the teams as offers with a reply deadline."""
        session = db().session
        events = rounds.send_offers(session, round_id, actor=actor(), hours=body["hours"])
        session.commit()
        publish(events)
        return queries.round_json(session, session.get(MatchRound, round_id))


@blp.route("/matching/rules")
class Rules(MethodView):
    @require_roles("admin")
    @blp.response(200, RuleOut(many=True))
    @blp.doc(**SIGNED_IN)
    def get(self):
        """Active pins and forbids."""
        return queries.rules(db().session)

    @require_roles("admin")
    @blp.arguments(RuleIn)
    @blp.response(201, RuleOut(many=True))
    @blp.alt_response(404, description="No such need or team")
    @blp.alt_response(409, description="The need is no longer open")
    @blp.doc(**SIGNED_IN)
    def post(self, body):
        """Pin a pair (always proposed) or forbid it (never); the next round follows it."""
        session = db().session
        _, events = rounds.add_rule(session, need_id=body["need_id"], team_id=body["team_id"], kind=body["kind"],
                                    reason=body["reason"], actor=actor())
        session.commit()
        publish(events)
        return queries.rules(session)


@blp.route(f"/matching/rules/<{ROUTE_ID}:rule_id>")
class RuleView(MethodView):
    @require_roles("admin")
    @blp.response(200, RuleOut(many=True))
    @blp.alt_response(404, description="No such active rule")
    @blp.doc(**SIGNED_IN)
    def delete(self, rule_id: int):
        """Lift a pin or forbid."""
        session = db().session
        events = rounds.lift_rule(session, rule_id, actor=actor())
        session.commit()
        publish(events)
        return queries.rules(session)


# --- bounties --------------------------------------------------------------------------------------

@blp.route("/bounties")
class Bounties(MethodView):
    @blp.response(200, BountyOut(many=True))
    def get(self):
        """The open problem board (揭榜挂帅), newest first (public)."""
        session = db().session
        return [queries.bounty_json(session, b)
                for b in session.scalars(select(Bounty).order_by(Bounty.id.desc()).limit(200))]

    @require_roles("admin", "hr")
    @blp.arguments(BountyIn)
    @blp.response(201, BountyOut)
    @blp.alt_response(403, description="Another enterprise")
    @blp.alt_response(404, description="No such enterprise")
    @blp.alt_response(422, description="Unknown field, negative reward, past deadline")
    @blp.doc(**SIGNED_IN)
    def post(self, body):
        """Post a problem with a reward."""
        session = db().session
        bounty, events = bounties.post_bounty(session, engine().taxonomy, enterprise_id=_enterprise_for_post(body),
                                              title=body["title"], description=body["description"],
                                              fields=body["fields_"], reward_yuan=body["reward_yuan"],
                                              deadline=body["deadline"], actor=actor())
        session.commit()
        publish(events)
        return queries.bounty_json(session, bounty)


@blp.route(f"/bounties/<{ROUTE_ID}:bounty_id>/claims")
class Claims(MethodView):
    @require_roles("admin", "team", "contestant")
    @blp.arguments(ClaimIn)
    @blp.response(201, BountyOut)
    @blp.alt_response(403, description="A team or craftsman claiming for someone else")
    @blp.alt_response(404, description="No such bounty or worker")
    @blp.alt_response(409, description="Closed, or claimed already")
    @blp.alt_response(422, description="Neither or both of team and worker")
    @blp.doc(**SIGNED_IN)
    def post(self, body, bounty_id: int):
        """揭榜: a team claims for itself, a craftsman signed in (on a contestant tablet) for themself;
        staff enter a single craftsman's claim (worker_id)."""
        session = db().session
        principal = current_principal()
        team_id, worker_id = None, body.get("worker_id")
        if principal.role in ("team", "contestant") and worker_id is not None:
            abort(403, "只能以本人或本队名义揭榜 Claim only as yourself or your own team")
        if principal.role == "team":
            team_id = principal.scope.service_team_id
        elif principal.role == "contestant":
            worker_id = own_worker_id()
            if worker_id is None:
                abort(403, "此参赛账号未关联职工档案 This sign-in has no worker profile")
        _, events = bounties.claim(session, bounty_id, proposal=body["proposal"], team_id=team_id,
                                   worker_id=worker_id, actor=actor())
        return _bounty_answer(events, bounty_id)


@blp.route(f"/bounties/<{ROUTE_ID}:bounty_id>/choose")
class Choose(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(ChooseIn)
    @blp.response(200, BountyOut)
    @blp.alt_response(403, description="Another enterprise's bounty")
    @blp.alt_response(404, description="No such bounty or claim")
    @blp.alt_response(409, description="Not open")
    @blp.doc(**SIGNED_IN)
    def post(self, body, bounty_id: int):
        """The enterprise picks one claim."""
        session = db().session
        _own_bounty(bounty_id)
        events = bounties.choose(session, bounty_id, body["claim_id"], actor=actor())
        return _bounty_answer(events, bounty_id)


@blp.route(f"/bounties/<{ROUTE_ID}:bounty_id>/payment")
class Pay(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(PayIn)
    @blp.response(200, BountyOut)
    @blp.alt_response(403, description="Another enterprise's bounty")
    @blp.alt_response(404, description="No such bounty")
    @blp.alt_response(409, description="Not awarded")
    @blp.doc(**SIGNED_IN)
    def post(self, body, bounty_id: int):
        """Record the payment once the problem is solved."""
        session = db().session
        _own_bounty(bounty_id)
        events = bounties.pay(session, bounty_id, paid_yuan=body["paid_yuan"], actor=actor())
        return _bounty_answer(events, bounty_id)


# --- master-apprentice pairing ---------------------------------------------------------------------

@blp.route("/pairings")
class Pairings(MethodView):
    @require_roles("admin", "hr")
    @blp.response(200, PairingRecordOut(many=True))
    @blp.doc(**SIGNED_IN)
    def get(self):
        """师徒结对 signed so far, newest first (HR: its own enterprise's apprentices)."""
        principal = current_principal()
        return queries.pairings(db().session,
                                enterprise_id=principal.scope.enterprise_id if principal.role == "hr" else None)

    @require_roles("admin", "hr")
    @blp.arguments(PairingRecordIn)
    @blp.response(201, PairingRecordOut)
    @blp.alt_response(403, description="HR: a worker of another enterprise")
    @blp.alt_response(404, description="No such worker")
    @blp.alt_response(409, description="Paired already")
    @blp.alt_response(422, description="A worker paired with themself")
    @blp.doc(**SIGNED_IN)
    def post(self, body):
        """Sign a pairing (师徒结对): it appears on both workers' skill resumes."""
        session = db().session
        _may_pair(body["master_id"], body["apprentice_id"])
        signed, events = pairing.record_pairing(session, master_id=body["master_id"],
                                                apprentice_id=body["apprentice_id"], actor=actor(),
                                                since=body.get("since"))
        session.commit()
        publish(events)
        return queries.pairings(session, pairing_id=signed.id)[0]


def _may_pair(*worker_ids: int) -> None:
    """HR pairs within its own enterprise (a missing worker is the service's 404, named by field)."""
    for worker_id in worker_ids:
        if db().session.get(Worker, worker_id) is not None:
            may_read_worker(worker_id)


@blp.route("/pairings/proposals")
class PairingProposals(MethodView):
    @require_roles("admin", "hr")
    @blp.arguments(PairingIn)
    @blp.response(200, PairingOut(many=True))
    @blp.alt_response(403, description="HR: a worker of another enterprise")
    @blp.alt_response(404, description="No such worker")
    @blp.doc(**SIGNED_IN)
    def post(self, body):
        """师带徒: propose pairs that best cover apprentices' gaps with masters' strengths (nothing is saved)."""
        _may_pair(*body["apprentice_ids"], *body["master_ids"])
        proposals = pairing.propose_pairings(db().session, apprentice_ids=body["apprentice_ids"],
                                             master_ids=body["master_ids"], capacity=body["capacity"])
        return [p.__dict__ for p in proposals]

"""HTTP shapes of the API (request bodies, query strings, responses)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from profiles.accounts import ROLES

KEY = fields.String(required=True, validate=validate.Length(min=1, max=100),
                    metadata={"description": "Idempotency key chosen by the client; a retry with the same key "
                                             "is answered with the first outcome and changes nothing"})
TICKET = fields.String(required=True, validate=validate.Length(min=1, max=50),
                       metadata={"description": "The contestant's ticket number (准考证号)"})
CODE = fields.String(required=True, validate=validate.Length(min=1, max=50))


# A row id as a client may send it: databases keep 32-bit (SQLite 64-bit) keys, and a larger
# number is a 422 here rather than an overflow inside the driver.
ROW_ID = validate.Range(min=1, max=2**31 - 1)


class Strict(Schema):
    """Unknown fields are an error, so a misspelt field is never silently ignored."""


class TokenIn(Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES[:3]))
    contest = fields.String(validate=validate.Length(min=1, max=50),
                            metadata={"description": "Contest code (referee and contestant only)"})
    login = fields.String(required=True, validate=validate.Length(min=1, max=100),
                          metadata={"description": "Username (staff), referee code, or ticket number"})
    secret = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "Password (staff) or PIN"})

    @validates_schema
    def _contest_for_contest_roles(self, data, **_):
        if data.get("role") in ("referee", "contestant") and not data.get("contest"):
            raise ValidationError("a referee or contestant signs in to one contest", "contest")


class TokenOut(Schema):
    token = fields.String()
    principal = fields.String()
    role = fields.String()
    expires_at = fields.DateTime()


class MeOut(Schema):
    principal = fields.String()
    role = fields.String()
    name = fields.String()
    contest_id = fields.Integer(allow_none=True)
    site_id = fields.Integer(allow_none=True)
    is_chief = fields.Boolean()
    enterprise_id = fields.Integer(allow_none=True, metadata={"description": "Enterprise HR: their enterprise"})
    service_team_id = fields.Integer(allow_none=True, metadata={"description": "A service team account: its team"})


class TimeOut(Schema):
    server_time = fields.Integer(metadata={"description": "Milliseconds since the Unix epoch, server clock"})


class SiteOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    city = fields.String()


class StageOut(Schema):
    code = fields.String()
    name = fields.String()
    position = fields.Integer()
    time_limit_s = fields.Integer()


class ContestOut(Schema):
    code = fields.String()
    name = fields.String()
    status = fields.String()
    ruleset = fields.Dict()
    last_seq = fields.Integer()
    sites = fields.List(fields.Nested(SiteOut))
    stages = fields.List(fields.Nested(StageOut))


class BoardQuery(Strict):
    site = fields.Integer(validate=ROW_ID, metadata={"description": "Only this site's board"})
    limit = fields.Integer(validate=validate.Range(min=1, max=10000))


class BoardRowOut(Schema):
    id = fields.Integer()
    ticket_no = fields.String()
    name = fields.String()
    enterprise = fields.String()
    site_id = fields.Integer()
    rank = fields.Integer()
    site_rank = fields.Integer(allow_none=True)
    total = fields.String()
    complete = fields.Boolean()
    flags = fields.List(fields.String())
    stage = fields.String()
    stage_status = fields.String()


class BoardOut(Schema):
    contest = fields.String()
    seq = fields.Integer()
    frozen = fields.Boolean(metadata={"description": "The board as it stood at the freeze"})
    rows = fields.List(fields.Nested(BoardRowOut))
    progress = fields.Dict()


class MarkIn(Strict):
    contestant = TICKET
    aspect = CODE
    value = fields.Raw(required=True, allow_none=False,
                       metadata={"description": "Judgement score (integer), measurement reading (number), "
                                                "level label or pass/fail"})
    idempotency_key = KEY


class CorrectionIn(MarkIn):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    on_behalf_of = fields.String(validate=validate.Length(min=1, max=50),
                                 metadata={"description": "Chief referee only: whose signed-off mark this replaces"})


class DeductionIn(Strict):
    contestant = TICKET
    deduction = CODE
    count = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    idempotency_key = KEY


class SignOffIn(Strict):
    contestant = TICKET
    idempotency_key = KEY


class ResolutionIn(Strict):
    contestant = TICKET
    aspect = CODE
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    score = fields.Raw(allow_none=True, load_default=None,
                       metadata={"description": "The panel score to set; omit to accept the panel's marks"})
    idempotency_key = KEY


class AnswerIn(Strict):
    aspect = CODE
    answer = fields.Raw(required=True, allow_none=False)
    idempotency_key = KEY


class StageIn(Strict):
    contestant = fields.String(validate=validate.Length(min=1, max=50),
                               metadata={"description": "Ticket number; a contestant omits it (their own)"})
    idempotency_key = KEY


class StartIn(Strict):
    idempotency_key = KEY


class PreviewIn(Strict):
    aspect = CODE
    value = fields.Raw(required=True, allow_none=False)


class PreviewOut(Schema):
    aspect = fields.String()
    marks = fields.String(allow_none=True)
    status = fields.String()


class EventOut(Schema):
    seq = fields.Integer()
    kind = fields.String()
    contestant_id = fields.Integer(allow_none=True)
    aspect_code = fields.String(allow_none=True)


class CommandOut(Schema):
    duplicate = fields.Boolean(metadata={"description": "True when this key was seen before: nothing new happened"})
    seq = fields.Integer(metadata={"description": "Sequence number of the command's last event"})
    events = fields.List(fields.Nested(EventOut))
    sheet = fields.Dict(metadata={"description": "The contestant's result after the command"})


class AspectOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    max = fields.String()
    stage = fields.String(allow_none=True)
    descriptors = fields.List(fields.String())
    options = fields.List(fields.String())
    unit = fields.String(allow_none=True)


class AssignmentsOut(Schema):
    referee = fields.Dict()
    aspects = fields.List(fields.Nested(AspectOut))
    deductions = fields.List(fields.Dict())
    contestants = fields.List(fields.Dict())


class SheetOut(Schema):
    contestant = fields.Dict()
    seq = fields.Integer()
    total = fields.String()
    rank = fields.Integer(allow_none=True, metadata={"description": "Live rank; null for the contestant themself "
                                                                    "(ranks are on the public board, which a freeze hides)"})
    complete = fields.Boolean()
    flags = fields.List(fields.String())
    aspects = fields.List(fields.Dict())
    stages = fields.List(fields.Dict())
    signed_off = fields.List(fields.Integer())


class ItemsOut(Schema):
    items = fields.List(fields.Dict())


class PauseIn(Strict):
    site = fields.String(validate=validate.Length(min=1, max=50),
                         metadata={"description": "Site code; omit for every site"})
    reason = fields.String(load_default="", validate=validate.Length(max=500))
    idempotency_key = KEY


class ExtraTimeIn(Strict):
    stage = CODE
    seconds = fields.Integer(required=True, validate=validate.Range(min=1, max=14400))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    site = fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "Only this site"})
    contestant = fields.String(validate=validate.Length(min=1, max=50),
                               metadata={"description": "Only this contestant (ticket number)"})
    idempotency_key = KEY


SLUG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", error="letters, digits, - and _ only (it goes in addresses)")


class ContestIn(Strict):
    code = fields.String(required=True, validate=[validate.Length(min=1, max=50), SLUG])
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ruleset = fields.String(validate=validate.Length(min=1, max=100),
                            metadata={"description": "A rule set shipped with the platform (GET /api/v1/rulesets)"})
    ruleset_text = fields.String(validate=validate.Length(min=1, max=1_000_000),
                                 metadata={"description": "Or the text of a TOML rule set file"})

    @validates_schema
    def _one_ruleset(self, data, **_):
        if ("ruleset" in data) == ("ruleset_text" in data):
            raise ValidationError("give either a shipped rule set's code or a rule set file's text", "ruleset")


class RuleSetOut(Schema):
    code = fields.String()
    name = fields.String()
    version = fields.String()
    trade = fields.String()
    total = fields.String()
    aspects = fields.Integer()
    stages = fields.List(fields.String())


class SiteIn(Strict):
    code = fields.String(required=True, validate=[validate.Length(min=1, max=50), SLUG])
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    city = fields.String(load_default="", validate=validate.Length(max=100))


class PanelIn(Strict):
    site = CODE
    aspect = CODE
    referees = fields.List(fields.String(validate=validate.Length(min=1, max=50)), required=True,
                           validate=validate.Length(max=20),
                           metadata={"description": "Referee codes in seat order (empty: no panel)"})
    reason = fields.String(load_default="", validate=validate.Length(max=500),
                           metadata={"description": "Required once the contest is running (留痕)"})
    idempotency_key = KEY


class PanelRefereeOut(Schema):
    code = fields.String()
    name = fields.String()
    enterprise = fields.String(allow_none=True)


class PanelOut(Schema):
    aspect = fields.String()
    name = fields.String()
    kind = fields.String()
    seats = fields.Integer(metadata={"description": "Panel size (judgement) or 1 (measurement)"})
    referees = fields.List(fields.String())
    blocked = fields.Dict(metadata={"description": "Referee code → why they may not sit here (回避)"})


class SitePanelsOut(Schema):
    code = fields.String()
    name = fields.String()
    referees = fields.List(fields.Nested(PanelRefereeOut))
    panels = fields.List(fields.Nested(PanelOut))


class PanelsOut(Schema):
    contest = fields.String()
    status = fields.String()
    sites = fields.List(fields.Nested(SitePanelsOut))


class DisplayLinkIn(Strict):
    site = fields.String(validate=validate.Length(min=1, max=50),
                         metadata={"description": "Site code for that site's board; omit for the overall board"})
    label = fields.String(load_default="", validate=validate.Length(max=100))


class DisplayLinkOut(Schema):
    id = fields.Integer()
    token = fields.String()
    url = fields.String(metadata={"description": "The big-screen page to open (read-only, no sign-in)"})
    site = fields.String(allow_none=True)
    label = fields.String()
    revoked_at = fields.DateTime(allow_none=True, metadata={"description": "Set once revoked: the page and "
                                                                           "live connection are refused"})


class FillPanelsIn(Strict):
    site = CODE
    reason = fields.String(load_default="", validate=validate.Length(max=500),
                           metadata={"description": "Required once the contest is running (留痕)"})
    idempotency_key = fields.String(required=True, validate=validate.Length(min=1, max=80))


class FillPanelsOut(Schema):
    filled = fields.List(fields.String(), metadata={"description": "Aspects that got a panel"})
    unfilled = fields.Dict(keys=fields.String(), values=fields.String(),
                           metadata={"description": "Aspect → why it could not get a full panel"})


class SeverityQuery(Strict):
    assume_equal_sites = fields.Boolean(load_default=False, metadata={
        "description": "Fit even when the sites' referees never rated the same contestant, assuming the sites' "
                       "contestants are equally able"})


class RefereeSeverityOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    site_id = fields.Integer(allow_none=True)
    severity = fields.Float(metadata={"description": "Logits; positive: harsher than the average referee"})
    se = fields.Float()
    infit = fields.Float(metadata={"description": "Mean square; about 1 expected, under 0.5 too predictable, "
                                                  "over 1.5 erratic"})
    outfit = fields.Float()
    ratings = fields.Integer()


class FairJudgementOut(Schema):
    contestant_id = fields.Integer()
    ticket_no = fields.String()
    site_id = fields.Integer()
    ratings = fields.Integer()
    observed = fields.Float(metadata={"description": "Mean judgement score the contestant's referees gave"})
    fair = fields.Float(metadata={"description": "Mean an average referee would be expected to give on the same "
                                                 "aspects"})
    ability = fields.Float()
    se = fields.Float()


class SeverityOut(Schema):
    ratings = fields.Integer()
    referees = fields.List(fields.Nested(RefereeSeverityOut))
    contestants = fields.List(fields.Nested(FairJudgementOut))
    aspects = fields.Dict(keys=fields.String(), values=fields.Float())
    thresholds = fields.Raw(metadata={"description": "Steps between levels: one list, or one per aspect"})
    assumed_equal_groups = fields.List(fields.List(fields.String()))

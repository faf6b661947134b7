"""REST API under /api/v1 (flask-smorest): marshmallow schemas, OpenAPI at /api/v1/openapi.json.

Errors have one shape everywhere: ``{"code": <HTTP status>, "status": <name>, "message": <text>,
"error": <stable code>, "field": <the field at fault, when one is>, "errors": {<location>:
{<field>: [<reasons>]}}}``; the message alone names the field, for clients that show one line.
"""

from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api as _Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from competition.errors import ContestError
from profiles.errors import ProfileError
from scoring_rules import RuleSetError

# How each domain refusal reads over HTTP.
STATUS_OF = {"not_found": 404, "invalid_state": 409, "not_assigned": 403, "conflict_of_interest": 403,
             "invalid_mark": 422, "signed_off": 409, "invalid_roster": 422,
             "already_exists": 409, "invalid_setup": 422}


def _flatten(errors, path=()) -> list[str]:
    """Turn marshmallow's nested error dict into ``"field.sub: reason"`` lines."""
    if isinstance(errors, dict):
        out = []
        for key, value in errors.items():
            # The location (json, query, …) is noise in a message; field names are the point.
            out += _flatten(value, path if not path and key in ("json", "query", "form", "path") else (*path, str(key)))
        return out
    if isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        return [f"{'.'.join(path) or 'body'}: {' '.join(errors)}"]
    if isinstance(errors, list):
        return [line for e in errors for line in _flatten(e, path)]
    return [f"{'.'.join(path) or 'body'}: {errors}"]


class ErrorSchema(Schema):
    """Every error response (documented once, used by every operation)."""

    code = fields.Integer(metadata={"description": "HTTP status"})
    status = fields.String(metadata={"description": "Status name"})
    error = fields.String(metadata={"description": "Stable error code, e.g. not_assigned, invalid_mark"})
    message = fields.String(metadata={"description": "What went wrong; names the field when one is at fault"})
    field = fields.String(metadata={"description": "The request field at fault, when one is"})
    errors = fields.Dict(metadata={"description": "Reasons per location and field"})
    rows = fields.List(fields.Dict(), metadata={"description": "Spreadsheet imports: each bad cell as "
                                                               "{sheet, row, column, message}"})


class Api(_Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith("/api/"):
            return error  # pages keep Flask's own HTML error pages
        payload, status, headers = super().handle_http_exception(error)
        errors = payload.get("errors")
        if errors and "message" not in payload:
            lines = _flatten(errors)
            payload["message"] = "; ".join(lines)
            first = lines[0].split(":", 1)[0] if lines else None
            payload["field"] = first
        if "message" not in payload and error.description:
            payload["message"] = error.description
        payload.setdefault("error", error.name.lower().replace(" ", "_"))
        return payload, status, headers


api = Api()


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="匠星 Jiangxing API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from node_modules by our own /vendor route: the docs page works offline.
        OPENAPI_SWAGGER_UI_URL="/vendor/swagger-ui-dist/",
        API_SPEC_OPTIONS={
            "info": {"description": "Contests, live boards and marking for 匠星 Jiangxing. Sign in with "
                                    "POST /api/v1/auth/token, then send `Authorization: Bearer <token>`."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        },
    )
    api.init_app(app)
    app.register_error_handler(ContestError, _contest_error)
    app.register_error_handler(RuleSetError, _ruleset_error)
    app.register_error_handler(ProfileError, _profile_error)

    from . import auth, contests, marking, matching, profiles, rosters, selection, setup, talent

    for blueprint in (auth.blp, contests.blp, marking.blp, matching.blp, profiles.blp, rosters.blp, selection.blp,
                      setup.blp, talent.blp):
        api.register_blueprint(blueprint)


# Domain errors name their own parameters; report them by the API's field names.
API_FIELD = {"aspect_code": "aspect", "deduction_code": "deduction", "stage_code": "stage", "ticket_no": "contestant"}


def _contest_error(error: ContestError):
    status = STATUS_OF.get(error.code, 400)
    body = {"code": status, "status": error.code.replace("_", " "), "error": error.code, "message": str(error)}
    if error.field:
        field = API_FIELD.get(error.field, error.field)
        body["field"] = field
        body["message"] = f"{field}: {error}"
        body["errors"] = {"json": {field: [str(error)]}}
    if getattr(error, "errors", None):
        body["rows"] = [row.as_json() for row in error.errors]
    return body, status


def _profile_error(error: ProfileError):
    names = {404: "not found", 409: "conflict", 422: "unprocessable entity", 403: "forbidden"}
    code = names.get(error.status, "bad request").replace(" ", "_")
    body = {"code": error.status, "status": names.get(error.status, "bad request"), "error": code,
            "field": error.field, "message": f"{error.field}: {error}", "errors": {"json": {error.field: [str(error)]}}}
    if getattr(error, "rows", None):
        body["rows"] = [row.as_json() for row in error.rows]
    return body, error.status


def _ruleset_error(error: RuleSetError):
    """A rule set file with errors: every one by its field path, as the ``check`` command prints them."""
    lines = [str(e) for e in error.errors]
    return {"code": 422, "status": "invalid ruleset", "error": "invalid_ruleset", "field": "ruleset_text",
            "message": "ruleset_text: " + "; ".join(lines), "errors": {"json": {"ruleset_text": lines}}}, 422

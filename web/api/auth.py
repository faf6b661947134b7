"""Sign-in for API clients: exchange credentials for a bearer token."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint

from competition.access import authenticate_contestant, authenticate_referee
from profiles.accounts import authenticate_staff, issue_token, revoke_token

from ..auth import bearer_token, current_principal, require_roles
from ..extensions import db
from .schemas import MeOut, TimeOut, TokenIn, TokenOut
from ..realtime import server_time_ms

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in, tokens and the server clock")


@blp.route("/auth/token")
class Tokens(MethodView):
    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    @blp.alt_response(401, description="Wrong login or secret")
    def post(self, body):
        """Sign in and get a bearer token (valid one contest day).

        Staff sign in with username and password; referees with contest code, referee code and
        PIN; contestants with contest code, ticket number and PIN.
        """
        session = db().session
        role = body["role"]
        if role == "admin":
            who = authenticate_staff(session, body["login"], body["secret"])
            principal = who.principal if who else None
        elif role == "referee":
            who = authenticate_referee(session, body["contest"], body["login"], body["secret"])
            principal = f"referee:{who.id}" if who else None
        else:
            who = authenticate_contestant(session, body["contest"], body["login"], body["secret"])
            principal = f"contestant:{who.id}" if who else None
        if principal is None:
            abort(401, "登录名或密码/PIN 不正确 Wrong login or secret")
        token, row = issue_token(session, principal)
        session.commit()
        # Staff sign in as "admin"; an account tied to an enterprise is that enterprise's HR.
        return {"token": token, "principal": principal, "role": principal.partition(":")[0],
                "expires_at": row.expires_at}

    @require_roles("admin", "referee", "contestant", "hr", "team")
    @blp.response(204)
    @blp.alt_response(401, description="No bearer token, or it is not live")
    @blp.doc(security=[{"bearer": []}])
    def delete(self):
        """Revoke the bearer token this request carries (sign out a tablet)."""
        session = db().session
        token = bearer_token()
        if token is None or not revoke_token(session, token):
            abort(401, "this request carries no live bearer token")
        session.commit()


@blp.route("/auth/me")
class Me(MethodView):
    @require_roles("admin", "referee", "contestant", "display", "hr", "team")
    @blp.response(200, MeOut)
    @blp.alt_response(401, description="Not signed in")
    @blp.doc(security=[{"bearer": []}])
    def get(self):
        """Who this request is signed in as."""
        scope = current_principal().scope
        return {"principal": scope.principal, "role": scope.role, "name": scope.name,
                "contest_id": scope.contest_id, "site_id": scope.site_id, "is_chief": scope.is_chief,
                "enterprise_id": scope.enterprise_id, "service_team_id": scope.service_team_id}


@blp.route("/time")
class Time(MethodView):
    @blp.response(200, TimeOut)
    def get(self):
        """The server clock, for tablets to correct their own (countdowns follow the server)."""
        return {"server_time": server_time_ms()}

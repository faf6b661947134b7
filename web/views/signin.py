"""Sign-in and sign-out for pages: staff, referees and contestants, each on their own tab."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from sqlalchemy import select

from competition.access import authenticate_contestant, authenticate_referee
from competition.models import Contest
from profiles.accounts import authenticate_staff

from ..auth import current_principal, load_principal
from ..extensions import db
from ..i18n import trt
from . import bp

HOME = {"admin": "views.console", "referee": "views.referee_tablet", "contestant": "views.contestant_tablet",
        "hr": "views.my_enterprise", "team": "views.team_inbox"}


@bp.route("/login", methods=["GET", "POST"])
def login():
    session = db().session
    contests = session.scalars(select(Contest).where(Contest.status != "draft").order_by(Contest.id)).all()
    role = request.values.get("role", "referee")
    error = None
    if request.method == "POST":
        login_name = request.form.get("login", "").strip()
        secret = request.form.get("secret", "")
        contest = request.form.get("contest", "")
        principal = None
        if role == "admin":
            who = authenticate_staff(session, login_name, secret)
            principal = who.principal if who else None
        elif role == "referee":
            who = authenticate_referee(session, contest, login_name, secret)
            principal = f"referee:{who.id}" if who else None
        elif role == "contestant":
            who = authenticate_contestant(session, contest, login_name, secret)
            principal = f"contestant:{who.id}" if who else None
        if principal is None:
            error = trt("登录名或密码/PIN 不正确 ·", "Wrong login or password/PIN")
        else:
            signed_in = load_principal(principal)
            login_user(signed_in)
            return redirect(url_for(HOME[signed_in.role]))
    return render_template("login.html", contests=contests, role=role, error=error,
                           contest=request.values.get("contest", contests[0].code if contests else "")), (
        401 if error else 200)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("views.login"))


def home_url() -> str | None:
    principal = current_principal()
    return url_for(HOME[principal.role]) if principal and principal.role in HOME else None

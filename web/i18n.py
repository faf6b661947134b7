"""Page language: Chinese first (default, with English beside it), or English only.

Every label in a template is written once as a pair, ``tr("中文", "English")``, next to where it
is shown, instead of keys into a catalogue: the two texts stay side by side for whoever edits the
page, and a label cannot silently lose its translation. The choice comes from ``?lang=zh|en``
(remembered in a cookie for a year) and is stamped on ``<html lang>``, which the browser scripts
read through ``tr`` in ``static/js/i18n.js``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request
from markupsafe import Markup, escape

LANGUAGES = {"zh": "zh-CN", "en": "en"}
DEFAULT = "zh"
COOKIE = "jx_lang"


def current_language() -> str:
    lang = getattr(g, "jx_lang", None)
    if lang is None:
        asked = request.args.get("lang") or request.cookies.get(COOKIE)
        lang = g.jx_lang = asked if asked in LANGUAGES else DEFAULT
    return lang


def tr(zh: str, en: str) -> Markup:
    """A label as HTML: ``中文 <span class="en">English</span>``, or the English alone."""
    if current_language() == "en":
        return escape(en)
    return Markup('{} <span class="en">{}</span>').format(zh, en)


def trt(zh: str, en: str) -> str:
    """A label as plain text (titles, attributes, messages): ``中文 English`` or the English."""
    return en if current_language() == "en" else f"{zh} {en}"


def pick(label: str) -> str:
    """Pick from a stored bilingual label ``"中文 English"`` (role and status names)."""
    if current_language() != "en":
        return label
    zh, _, en = label.partition(" ")
    return en or zh


def named(zh: str, en: str | None) -> str:
    """A stored name that carries its own English form (rule sets, dimensions): the English on an
    English page when there is one, otherwise the name as stored. Names without one (contests,
    sites, people) are data and are shown as they are."""
    return en if current_language() == "en" and en else zh


def language_url(lang: str) -> str:
    """This page's address with ``lang`` set, keeping its other query arguments."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.base_url + "?" + urlencode(args, doseq=True)


def _remember_choice(response):
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(tr=tr, trt=trt, pick=pick, named=named, current_language=current_language,
                                 html_lang=lambda: LANGUAGES[current_language()],
                                 language_url=language_url)
    app.after_request(_remember_choice)

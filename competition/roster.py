"""Import a contest's roster from Excel: contestants and referees, all or nothing.

The workbook has a sheet 选手 (contestants) and optionally a sheet 裁判 (referees), each with a
header row in Chinese (see ``CONTESTANT_COLUMNS`` / ``REFEREE_COLUMNS``; column order is free).
Every row is validated first: a bad row is reported by sheet, row number (as Excel shows it) and
column header, and nothing from the file is imported until every row is clean. Enterprises are
matched by name and created when new. A contestant row with a staff number (工号) is the worker
of that enterprise with that number, so their contests add up on one profile; without one, a new
worker is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.models import Enterprise, Worker
from profiles.workbook import RowError, open_workbook, read_sheet

from . import access, setup
from .errors import ContestError
from .models import Contest, Contestant, Referee, Site

CONTESTANTS_SHEET, REFEREES_SHEET = "选手", "裁判"
# Chinese header → field; the first column of each pair is required.
CONTESTANT_COLUMNS = {"准考证号": "ticket_no", "姓名": "name", "单位": "enterprise", "赛点": "site",
                      "工位": "station", "工种": "trade", "工号": "staff_no", "PIN": "pin"}
REFEREE_COLUMNS = {"裁判编号": "code", "姓名": "name", "单位": "enterprise", "赛点": "site",
                   "裁判长": "is_chief", "PIN": "pin"}
PIN = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4,12}$", error="PIN 为 4–12 位数字 · 4–12 digits"))


class ContestantRow(Schema):
    ticket_no = fields.String(required=True, validate=validate.Length(min=1, max=50))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    enterprise = fields.String(load_default="", validate=validate.Length(max=200))
    site = fields.String(required=True, validate=validate.Length(min=1, max=50))
    station = fields.String(load_default="", validate=validate.Length(max=20))
    trade = fields.String(load_default="", validate=validate.Length(max=100))
    staff_no = fields.String(load_default="", validate=validate.Length(max=40))
    pin = PIN


class RefereeRow(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    enterprise = fields.String(load_default="", validate=validate.Length(max=200))
    site = fields.String(load_default="", validate=validate.Length(max=50))
    is_chief = fields.Boolean(load_default=False, truthy={"是", "Y", "y", "yes", "1", 1, True},
                              falsy={"否", "", "N", "n", "no", "0", 0, False})
    pin = PIN


class RosterError(ContestError):
    """The file has bad rows; ``errors`` lists each by sheet, row and column. Nothing was imported."""

    code = "invalid_roster"

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        super().__init__(f"{len(errors)} 处错误，未导入任何数据 · {len(errors)} problems, nothing imported: {shown}"
                         + (" …" if len(errors) > 5 else ""), field="file")


@dataclass(frozen=True)
class RosterSummary:
    contestants: int
    referees: int
    enterprises_created: int


def _known_workers(session: Session, people: list[tuple[int, dict]]) -> dict[tuple[str, str], Worker]:
    """Existing workers the rows name by (enterprise name, staff number)."""
    wanted = {(row.get("enterprise"), row["staff_no"]) for _, row in people if row.get("staff_no")}
    if not wanted:
        return {}
    rows = session.execute(select(Enterprise.name, Worker).join(Worker, Worker.enterprise_id == Enterprise.id)
                           .where(Worker.staff_no.in_({no for _, no in wanted}))).all()
    return {(name, worker.staff_no): worker for name, worker in rows if (name, worker.staff_no) in wanted}


def import_roster(session: Session, contest: Contest, file: BinaryIO | bytes) -> RosterSummary:
    """Validate the whole workbook, then register everyone in it; raise ``RosterError`` if any row is bad."""
    workbook = open_workbook(file)
    if workbook is None:
        raise RosterError([RowError("-", 0, "-", "不是有效的 .xlsx 文件 · not a readable .xlsx file")])
    if contest.status in ("ended", "finalized"):
        raise ContestError(f"contest {contest.code} is {contest.status}: the roster is closed", field="file")
    errors: list[RowError] = []
    people = read_sheet(workbook, CONTESTANTS_SHEET, CONTESTANT_COLUMNS, ContestantRow(), errors, required=True)
    judges = read_sheet(workbook, REFEREES_SHEET, REFEREE_COLUMNS, RefereeRow(), errors, required=False)
    workbook.close()

    sites = {s.code: s for s in session.scalars(select(Site).where(Site.contest_id == contest.id))}
    sites.update({s.name: s for s in list(sites.values())})
    taken = set(session.scalars(select(Contestant.ticket_no).where(Contestant.contest_id == contest.id)))
    codes = set(session.scalars(select(Referee.code).where(Referee.contest_id == contest.id)))
    for number, row in people:
        if "site" in row and row["site"] not in sites:
            errors.append(RowError(CONTESTANTS_SHEET, number, "赛点", f"本赛无此赛点 · no site {row['site']!r}"))
        if "ticket_no" in row:
            if row["ticket_no"] in taken:
                errors.append(RowError(CONTESTANTS_SHEET, number, "准考证号",
                                       f"准考证号重复 · ticket {row['ticket_no']} used twice"))
            taken.add(row["ticket_no"])
    known = _known_workers(session, people)
    for number, row in people:
        if row.get("staff_no"):
            if not row.get("enterprise"):
                errors.append(RowError(CONTESTANTS_SHEET, number, "单位",
                                       "填写工号时必须填写单位 · a staff number needs its enterprise"))
            worker = known.get((row.get("enterprise"), row["staff_no"]))
            if worker is not None and row.get("name") and worker.name != row["name"]:
                errors.append(RowError(CONTESTANTS_SHEET, number, "工号",
                                       f"工号 {row['staff_no']} 属于 {worker.name}，与姓名不符 · "
                                       f"staff number {row['staff_no']} is {worker.name}, not {row['name']}"))
    for number, row in judges:
        if not row.get("is_chief") and row.get("site", "") not in sites:
            errors.append(RowError(REFEREES_SHEET, number, "赛点",
                                   f"本赛无此赛点 · no site {row['site']!r}" if row.get("site") else "必填 · required"))
        if "code" in row:
            if row["code"] in codes:
                errors.append(RowError(REFEREES_SHEET, number, "裁判编号", f"编号重复 · code {row['code']} used twice"))
            codes.add(row["code"])
    if errors:
        raise RosterError(sorted(errors, key=lambda e: (e.sheet != CONTESTANTS_SHEET, e.row, e.column)))

    enterprises = {e.name: e for e in session.scalars(select(Enterprise))}
    created = 0

    def enterprise_of(name: str) -> Enterprise | None:
        nonlocal created
        if not name:
            return None
        if name not in enterprises:
            enterprises[name] = Enterprise(name=name)
            session.add(enterprises[name])
            session.flush()
            created += 1
        return enterprises[name]

    for _, row in people:
        enterprise = enterprise_of(row["enterprise"])
        worker = known.get((row["enterprise"], row["staff_no"])) if row["staff_no"] else None
        if worker is None:
            worker = Worker(name=row["name"], enterprise_id=enterprise.id if enterprise else None, trade=row["trade"],
                            staff_no=row["staff_no"] or None)
            session.add(worker)
            session.flush()
        contestant = setup.register_contestant(session, contest, worker=worker, site=sites[row["site"]],
                                               ticket_no=row["ticket_no"], station=row["station"])
        if row["pin"]:
            access.set_pin(contestant, row["pin"])
    for _, row in judges:
        enterprise = enterprise_of(row["enterprise"])
        referee = setup.add_referee(session, contest, code=row["code"], name=row["name"],
                                    enterprise_id=enterprise.id if enterprise else None,
                                    site=None if row["is_chief"] else sites[row["site"]], is_chief=row["is_chief"])
        if row["pin"]:
            access.set_pin(referee, row["pin"])
    session.flush()
    return RosterSummary(len(people), len(judges), created)

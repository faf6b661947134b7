"""Import workers and their certificates from Excel, all or nothing.

Sheet 职工 (workers) and optionally sheet 证书 (certificates), Chinese headers, any column order.
A worker is identified by enterprise and staff number (工号): a known one is updated, a new one
created, so the same file can be imported again after a correction. Workshops, teams and posts are
created when named for the first time. Every row is checked first; a bad row is reported by sheet,
row number (as Excel shows it) and column header, and nothing is imported until every row is clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from marshmallow import Schema, fields, validate
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from .errors import ProfileError
from .models import SKILL_LEVELS, Certificate, Enterprise, Post, Team, Worker, Workshop
from .workbook import RowError, open_workbook, read_sheet

WORKERS_SHEET, CERTIFICATES_SHEET = "职工", "证书"
WORKER_COLUMNS = {"工号": "staff_no", "姓名": "name", "单位": "enterprise", "工种": "trade", "技能等级": "skill_level",
                  "车间": "workshop", "班组": "team", "岗位": "post"}
CERTIFICATE_COLUMNS = {"工号": "staff_no", "单位": "enterprise", "证书编号": "number", "发证机构": "issuer",
                       "工种": "trade", "等级": "level", "发证日期": "issued_on"}
LEVEL_BY_NAME = {name: level for level, (name, _) in SKILL_LEVELS.items()}
LEVEL_BY_NAME.update({str(level): level for level in SKILL_LEVELS})
LEVEL = fields.String(validate=validate.OneOf(list(LEVEL_BY_NAME),
                                              error="等级为 初级工、中级工、高级工、技师、高级技师 或 1–5 · "
                                                    "a skill level: 初级工 … 高级技师, or 1–5"))


class WorkerRow(Schema):
    staff_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    enterprise = fields.String(load_default="", validate=validate.Length(max=200))
    trade = fields.String(required=True, validate=validate.Length(min=1, max=100))
    skill_level = LEVEL
    workshop = fields.String(load_default="", validate=validate.Length(max=100))
    team = fields.String(load_default="", validate=validate.Length(max=100))
    post = fields.String(load_default="", validate=validate.Length(max=100))


class CertificateRow(Schema):
    staff_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    enterprise = fields.String(load_default="", validate=validate.Length(max=200))
    number = fields.String(required=True, validate=validate.Length(min=1, max=60))
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    trade = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(required=True, validate=LEVEL.validate)
    issued_on = fields.Date(required=True, error_messages={"invalid": "日期格式为 2024-05-01 · a date like 2024-05-01"})


class WorkerImportError(ProfileError):
    """Bad rows, each by sheet, row and column (``rows``); nothing was imported."""

    def __init__(self, rows: list[RowError]):
        self.rows = rows
        shown = "; ".join(str(e) for e in rows[:5])
        super().__init__(f"{len(rows)} 处错误，未导入任何数据 · {len(rows)} problems, nothing imported: {shown}"
                         + (" …" if len(rows) > 5 else ""), field="file", status=422)


@dataclass(frozen=True)
class ImportSummary:
    workers_created: int
    workers_updated: int
    certificates: int


def import_workers(session: Session, file: BinaryIO | bytes, *, enterprise_id: int | None = None) -> ImportSummary:
    """Import the workbook. ``enterprise_id`` (an enterprise's HR) puts every row in that enterprise,
    and a 单位 naming another one is an error; staff name the enterprise on every row."""
    workbook = open_workbook(file)
    if workbook is None:
        raise WorkerImportError([RowError("-", 0, "-", "不是有效的 .xlsx 文件 · not a readable .xlsx file")])
    errors: list[RowError] = []
    people = read_sheet(workbook, WORKERS_SHEET, WORKER_COLUMNS, WorkerRow(), errors, required=True)
    papers = read_sheet(workbook, CERTIFICATES_SHEET, CERTIFICATE_COLUMNS, CertificateRow(), errors, required=False)
    workbook.close()

    own = session.get(Enterprise, enterprise_id) if enterprise_id is not None else None
    enterprises = {e.name: e for e in session.scalars(select(Enterprise))}

    def place(sheet: str, number: int, row: dict) -> str | None:
        """The enterprise name a row belongs to, or None after recording why it has none."""
        named = row.get("enterprise", "")
        if own is not None:
            if named and named != own.name:
                errors.append(RowError(sheet, number, "单位", f"只能导入本企业（{own.name}）的职工 · only {own.name}"))
                return None
            return own.name
        if not named:
            errors.append(RowError(sheet, number, "单位", "必填 · required"))
            return None
        return named

    seen: dict[tuple[str, str], int] = {}
    keyed_people = []
    for number, row in people:
        where = place(WORKERS_SHEET, number, row)
        if where is None or "staff_no" not in row:
            continue
        key = (where, row["staff_no"])
        if key in seen:
            errors.append(RowError(WORKERS_SHEET, number, "工号", f"与第{seen[key]}行重复 · same as row {seen[key]}"))
        seen[key] = number
        keyed_people.append((key, row))

    existing = {}
    keys = set(seen)
    if keys:
        for name, worker in session.execute(
                select(Enterprise.name, Worker).join(Worker, Worker.enterprise_id == Enterprise.id)
                .where(Worker.staff_no.in_({no for _, no in keys}))):
            existing[(name, worker.staff_no)] = worker

    owners = {}
    numbers_in_file: dict[tuple[str, str], int] = {}
    for number, row in papers:
        where = place(CERTIFICATES_SHEET, number, row)
        if where is None or "staff_no" not in row:
            continue
        key = (where, row["staff_no"])
        if key not in seen and key not in existing:
            errors.append(RowError(CERTIFICATES_SHEET, number, "工号",
                                   f"{where} 无工号 {row['staff_no']} 的职工（职工表和系统中均无） · no such worker"))
        owners[number] = key
        if "number" in row and "issuer" in row:
            paper = (row["issuer"], row["number"])
            if paper in numbers_in_file:
                errors.append(RowError(CERTIFICATES_SHEET, number, "证书编号",
                                       f"与第{numbers_in_file[paper]}行重复 · same as row {numbers_in_file[paper]}"))
            numbers_in_file[paper] = number
    if numbers_in_file:
        held = {(issuer, no): worker for issuer, no, worker in session.execute(
            select(Certificate.issuer, Certificate.number, Certificate.worker_id)
            .where(tuple_(Certificate.issuer, Certificate.number).in_(list(numbers_in_file))))}
        for paper, number in numbers_in_file.items():
            holder = held.get(paper)
            owner = existing.get(owners.get(number))
            if holder is not None and (owner is None or owner.id != holder):
                errors.append(RowError(CERTIFICATES_SHEET, number, "证书编号",
                                       f"该证书已登记在另一名职工名下 · certificate {paper[1]} belongs to another worker"))
    if errors:
        raise WorkerImportError(sorted(errors, key=lambda e: (e.sheet != WORKERS_SHEET, e.row, e.column)))

    def enterprise_of(name: str) -> Enterprise:
        if name not in enterprises:
            enterprises[name] = Enterprise(name=name)
            session.add(enterprises[name])
            session.flush()
        return enterprises[name]

    # Places named in the file, looked up once each (a file names a few, on thousands of rows).
    places: dict[tuple, object] = {}

    def found_or_made(key: tuple, query, make):
        if key not in places:
            places[key] = session.scalar(query)
            if places[key] is None:
                places[key] = make()
                session.add(places[key])
                session.flush()
        return places[key]

    def team_of(enterprise: Enterprise, workshop: str, name: str) -> Team:
        workshop = workshop or "未分车间"
        shop = found_or_made(("workshop", enterprise.id, workshop),
                             select(Workshop).where(Workshop.enterprise_id == enterprise.id, Workshop.name == workshop),
                             lambda: Workshop(enterprise_id=enterprise.id, name=workshop))
        return found_or_made(("team", shop.id, name), select(Team).where(Team.workshop_id == shop.id, Team.name == name),
                             lambda: Team(workshop_id=shop.id, name=name))

    def post_of(enterprise: Enterprise, name: str, trade: str) -> Post:
        return found_or_made(("post", enterprise.id, name),
                             select(Post).where(Post.enterprise_id == enterprise.id, Post.name == name),
                             lambda: Post(enterprise_id=enterprise.id, name=name, trade=trade))

    created = updated = 0
    for key, row in keyed_people:
        enterprise = enterprise_of(key[0])
        worker = existing.get(key)
        if worker is None:
            worker = existing[key] = Worker(enterprise_id=enterprise.id, staff_no=row["staff_no"])
            session.add(worker)
            created += 1
        else:
            updated += 1
        worker.name, worker.trade = row["name"], row["trade"]
        if row.get("skill_level"):
            worker.skill_level = LEVEL_BY_NAME[row["skill_level"]]
        if row["team"]:
            worker.team_id = team_of(enterprise, row["workshop"], row["team"]).id
        if row["post"]:
            worker.post_id = post_of(enterprise, row["post"], row["trade"]).id
        session.flush()
    certificates = 0
    for number, row in papers:
        worker = existing[owners[number]]
        paper = session.scalar(select(Certificate).where(Certificate.issuer == row["issuer"],
                                                         Certificate.number == row["number"]))
        if paper is None:
            paper = Certificate(worker_id=worker.id, issuer=row["issuer"], number=row["number"])
            session.add(paper)
        paper.trade, paper.level, paper.issued_on = row["trade"], LEVEL_BY_NAME[row["level"]], row["issued_on"]
        # A worker's level is at least the highest certificate they hold.
        worker.skill_level = max(worker.skill_level or 0, paper.level)
        certificates += 1
    session.flush()
    return ImportSummary(created, updated, certificates)

"""Export a contest's results to Excel: one row per contestant, per dimension, criterion and stage."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .livefeed import RosterEntry
from .projections import ContestProjection

STATUS = {"draft": "筹备中", "running": "进行中（非最终成绩）", "ended": "已结束（待定榜）", "finalized": "已定榜"}


def results_workbook(projection: ContestProjection, roster: dict[int, RosterEntry], sites: dict[int, dict],
                     *, contest_name: str, contest_status: str) -> bytes:
    """Return an .xlsx of the board: rank, site rank, identity, dimensions, criteria, stages, total."""
    ruleset = projection.ruleset
    book = Workbook()
    sheet = book.active
    sheet.title = "成绩"
    sheet.append([f"{contest_name} · 成绩表 · {STATUS.get(contest_status, contest_status)} · 事件序号 {projection.seq}"])
    sheet["A1"].font = Font(bold=True, size=14)
    header = ["名次", "赛点名次", "准考证号", "姓名", "单位", "赛点"]
    header += [f"{d.name}" for d in ruleset.dimensions]
    header += [f"{c.code} {c.name}" for c in ruleset.criteria]
    header += [f"{s.name}（状态/得分/用时秒）" for s in ruleset.stages]
    header += ["扣分", "总分", "状态"]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    site_ranks = {row.contestant_id: row.rank for site in projection.by_site for row in projection.board(site)}
    for row in projection.board():
        result, person = row.result, roster.get(row.contestant_id)
        values = [row.rank, site_ranks.get(row.contestant_id), person.ticket_no if person else "",
                  person.name if person else "", person.enterprise if person else "",
                  sites.get(row.site_id, {}).get("name", "")]
        values += [float(result.dimensions[d.code].marks) for d in ruleset.dimensions]
        values += [float(result.criteria[c.code]) for c in ruleset.criteria]
        values += [f"{s.status}/{s.score}/{'' if s.elapsed_s is None else s.elapsed_s}" for s in result.stages]
        state = "取消资格" if result.disqualified else ("待处理" if result.flags else ("完成" if result.complete else "评分中"))
        values += [float(result.deductions), float(result.total), state]
        sheet.append(values)
    sheet.freeze_panes = "C3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()

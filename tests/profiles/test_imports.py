"""Workers and certificates from Excel: upsert by enterprise and 工号, errors by row and column."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from profiles.imports import WorkerImportError, import_workers
from profiles.models import Certificate, Enterprise, Post, Team, Worker

WORKER_HEADER = ("工号", "姓名", "单位", "工种", "技能等级", "车间", "班组", "岗位")
CERT_HEADER = ("工号", "单位", "证书编号", "发证机构", "工种", "等级", "发证日期")


def book(workers, certificates=None, worker_header=WORKER_HEADER) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "职工"
    sheet.append(list(worker_header))
    for row in workers:
        sheet.append(row)
    if certificates is not None:
        certs = wb.create_sheet("证书")
        certs.append(list(CERT_HEADER))
        for row in certificates:
            certs.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_clean_file_creates_workers_their_places_and_certificates_and_reimports_as_updates(session):
    data = book([["D001", "王建国", "导入测试厂", "电工", "高级工", "一车间", "甲班组", "电工岗"],
                 ["D002", "李海峰", "导入测试厂", "电工", 2, "一车间", "乙班组", "电工岗"]],
                [["D002", "导入测试厂", "Z-1", "鉴定中心", "电工", "技师", date(2024, 5, 1)],
                 ["D001", "导入测试厂", "Z-2", "鉴定中心", "电工", "高级工", "2022-03-01"]])
    summary = import_workers(session, data)
    assert (summary.workers_created, summary.workers_updated, summary.certificates) == (2, 0, 2)
    li = session.scalar(select(Worker).where(Worker.staff_no == "D002"))
    assert li.skill_level == 4  # raised to the 技师 certificate
    assert session.get(Team, li.team_id).name == "乙班组" and session.get(Post, li.post_id).trade == "电工"
    before = (count(session, Worker), count(session, Certificate), count(session, Team))
    again = import_workers(session, book([["D001", "王建国", "导入测试厂", "电工", "技师", "一车间", "甲班组", "电工岗"]],
                                         [["D001", "导入测试厂", "Z-2", "鉴定中心", "电工", "高级工", "2022-03-01"]]))
    assert (again.workers_created, again.workers_updated) == (0, 1)
    assert (count(session, Worker), count(session, Certificate), count(session, Team)) == before
    assert session.scalar(select(Worker).where(Worker.staff_no == "D001")).skill_level == 4


def test_bad_rows_are_named_by_sheet_row_and_column_and_nothing_is_imported(session):
    other = Enterprise(name="别家厂")
    session.add(other)
    session.flush()
    holder = Worker(name="持证人", enterprise_id=other.id, staff_no="X1", trade="电工")
    session.add(holder)
    session.flush()
    session.add(Certificate(worker_id=holder.id, issuer="鉴定中心", number="TAKEN", trade="电工", level=3,
                            issued_on=date(2020, 1, 1)))
    session.flush()
    before = (count(session, Worker), count(session, Certificate), count(session, Enterprise))
    data = book([["E001", "甲", "新厂", "电工", "高级工"],
                 ["E002", None, "新厂", "电工", "大师"],            # row 3: no name, unknown level
                 ["E001", "乙", "新厂", "电工", None],              # row 4: 工号 repeated
                 ["E003", "丙", None, "电工", None]],               # row 5: no enterprise
                [["E001", "新厂", "C1", "鉴定中心", "电工", "高级工", "2024-13-01"],   # row 2: bad date
                 ["E999", "新厂", "C2", "鉴定中心", "电工", "高级工", "2024-01-01"],   # row 3: no such worker
                 ["E001", "新厂", "TAKEN", "鉴定中心", "电工", "高级工", "2024-01-01"]],  # row 4: someone else's
                worker_header=WORKER_HEADER[:5])
    with pytest.raises(WorkerImportError) as refused:
        import_workers(session, data)
    found = {(e.sheet, e.row, e.column) for e in refused.value.rows}
    assert found == {("职工", 3, "姓名"), ("职工", 3, "技能等级"), ("职工", 4, "工号"), ("职工", 5, "单位"),
                     ("证书", 2, "发证日期"), ("证书", 3, "工号"), ("证书", 4, "证书编号")}
    assert "职工 第3行 「姓名」" in str(refused.value) and "nothing imported" in str(refused.value)
    assert (count(session, Worker), count(session, Certificate), count(session, Enterprise)) == before


def test_hr_imports_only_into_its_own_enterprise(session):
    mine = Enterprise(name="本厂")
    session.add(mine)
    session.flush()
    with pytest.raises(WorkerImportError) as refused:
        import_workers(session, book([["H1", "甲", "外厂", "电工"]], worker_header=WORKER_HEADER[:4]),
                       enterprise_id=mine.id)
    assert [(e.row, e.column) for e in refused.value.rows] == [(2, "单位")]
    import_workers(session, book([["H1", "甲", None, "电工"]], worker_header=WORKER_HEADER[:4]), enterprise_id=mine.id)
    assert session.scalar(select(Worker.enterprise_id).where(Worker.staff_no == "H1")) == mine.id


def test_a_file_that_is_not_a_workbook_is_refused(session):
    with pytest.raises(WorkerImportError, match="not a readable .xlsx"):
        import_workers(session, b"name,staff\n")

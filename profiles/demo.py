"""A believable worker population for the demo: enterprises in several cities, workshops, teams,
posts with competency standards, workers with skill levels, certificates, honours, innovations,
master-apprentice pairs, quiz answers, and a contest history that feeds the star ranking.

Every worker has a hidden true ability per dimension; contest orders and shares and quiz answers
are drawn from it, so the portraits and the ranking have real structure to recover.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from scoring_rules.loader import bundled_ruleset_path, load_ruleset_file

from . import outcomes, selection
from .accounts import StaffAccount, create_staff_account
from .models import (Achievement, Certificate, Enterprise, Pairing, Post, PostStandard, QuizResponse, Team, Worker,
                     Workshop)

TRADES = ("electrical-assembly", "electrician-stages", "claims-adjuster")
CITIES = ("温州", "台州", "湖州", "常州", "中山", "沈阳")
FIRMS = ("激光科技", "电气设备", "机电集团", "智能装备", "汽车零部件", "保险公估", "电力安装", "精密制造")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国海峰志强晓东丽娟国庆伟敏俊杰秀英立新文斌红梅振华永刚春燕明亮卫东晓红桂兰德明玉兰少华金龙雪梅宏伟"
# The HR of the demo's first enterprise (温州激光科技有限公司): its analysis and report.
DEMO_HR = ("hr-wenzhou", "jiangxing-hr")
DEMO_SELECTION = "XB-2026"
HONOURS = (("全国技术能手", "national"), ("省五一劳动奖章", "provincial"), ("市劳动模范", "city"),
           ("企业首席技师", "enterprise"), ("省技术能手", "provincial"))
CONTRIBUTIONS = ("{}技术攻关，年节约成本 120 万元", "{}岗位练兵带头人", "解决{}关键难题，获年度岗位贡献奖")
INNOVATIONS = (("patent", "一种{}快速检测装置"), ("method", "{}标准化作业工法"), ("qc", "提高{}一次合格率 QC 成果"))


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def seed_population(session: Session, *, workers: int = 3000, contests_per_trade: int = 40,
                    seed: int = 2026) -> dict[str, int]:
    """Create the population; return counts of what was made."""
    rng = random.Random(seed)
    rulesets = [load_ruleset_file(bundled_ruleset_path(code)) for code in TRADES]
    enterprises = []
    for i, firm in enumerate(FIRMS):
        city = CITIES[i % len(CITIES)]
        enterprises.append(Enterprise(name=f"{city}{firm}有限公司", district=f"{city}市", region=city))
    session.add_all(enterprises)
    session.flush()
    teams, posts = {}, {}
    for enterprise in enterprises:
        for w in range(2):
            shop = Workshop(enterprise_id=enterprise.id, name=f"{'一二三'[w]}车间")
            session.add(shop)
            session.flush()
            for t in range(3):
                team = Team(workshop_id=shop.id, name=f"{'甲乙丙'[t]}班组")
                session.add(team)
                teams.setdefault(enterprise.id, []).append(team)
        for ruleset in rulesets:
            post = Post(enterprise_id=enterprise.id, name=f"{ruleset.trade}岗", trade=ruleset.trade)
            session.add(post)
            posts[(enterprise.id, ruleset.trade)] = post
    session.flush()
    for post in posts.values():
        ruleset = next(r for r in rulesets if r.trade == post.trade)
        session.add_all(PostStandard(post_id=post.id, dimension=d.name, required=float(rng.choice((40, 50, 60))))
                        for d in ruleset.dimensions)
    session.flush()

    people = []  # (worker id, ruleset, abilities per dimension)
    rows = []
    for n in range(workers):
        enterprise = enterprises[n % len(enterprises)]
        ruleset = rulesets[n % len(rulesets)]
        general = rng.gauss(0, 1)
        abilities = {d.name: 0.7 * general + 0.7 * rng.gauss(0, 1) for d in ruleset.dimensions}
        level = max(1, min(5, round(3 + general + rng.gauss(0, 0.7))))
        rows.append({"name": rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
                     "enterprise_id": enterprise.id, "trade": ruleset.trade, "staff_no": f"G{n + 1:05d}",
                     "skill_level": level, "post_id": posts[(enterprise.id, ruleset.trade)].id,
                     "team_id": rng.choice(teams[enterprise.id]).id})
        people.append((ruleset, abilities, general, level))
    session.execute(insert(Worker), rows)
    numbered = dict(session.execute(select(Worker.staff_no, Worker.id)
                                    .where(Worker.staff_no.in_([r["staff_no"] for r in rows]))).all())
    ids = [numbered[r["staff_no"]] for r in rows]

    certificates, achievements, answers = [], [], []
    for worker_id, (ruleset, abilities, general, level) in zip(ids, people):
        for lv in range(1, level + 1):
            certificates.append({"worker_id": worker_id, "trade": ruleset.trade, "level": lv,
                                 "number": f"Z{worker_id:06d}{lv}", "issuer": "人力资源和社会保障厅职业技能鉴定中心",
                                 "issued_on": date(2012 + 2 * lv + rng.randint(0, 1), rng.randint(1, 12), 1)})
        if general > 1.2 and rng.random() < 0.6:
            title, grade = rng.choice(HONOURS)
            achievements.append({"worker_id": worker_id, "kind": "honour", "title": title, "level": grade,
                                 "year": rng.randint(2018, 2025), "detail": ""})
        if general > 0.8 and rng.random() < 0.5:
            kind, pattern = rng.choice(INNOVATIONS)
            achievements.append({"worker_id": worker_id, "kind": kind, "title": pattern.format(ruleset.dimensions[0].name),
                                 "level": "enterprise", "year": rng.randint(2019, 2025), "detail": ""})
        if general > 0.5 and rng.random() < 0.3:
            grade = rng.choice(("city", "enterprise", "enterprise", "provincial"))
            achievements.append({"worker_id": worker_id, "kind": "contribution", "level": grade,
                                 "title": rng.choice(CONTRIBUTIONS).format(ruleset.dimensions[1].name),
                                 "year": rng.randint(2021, 2025), "detail": ""})
        if rng.random() < 0.5:
            for d in ruleset.dimensions:
                for k in range(8):
                    difficulty = (k - 3.5) / 2
                    answers.append({"worker_id": worker_id, "trade": ruleset.trade, "dimension": d.name,
                                    "item": f"{d.code}-{k}",
                                    "correct": rng.random() < _logistic(abilities[d.name] - difficulty)})
    session.execute(insert(Certificate), certificates)
    session.execute(insert(Achievement), achievements)
    session.execute(insert(QuizResponse), answers)
    # 师带徒 within one enterprise and one trade: some of its seniors each teach one of its juniors.
    # (Its own random stream, so the contest history below does not depend on how many pairs there are.)
    pairing_rng = random.Random(seed + 1)
    groups: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
    for worker_id, row, (ruleset, _, _, level) in zip(ids, rows, people):
        masters, apprentices = groups.setdefault((row["enterprise_id"], ruleset.trade), ([], []))
        if level >= 4:
            masters.append(worker_id)
        elif level <= 2:
            apprentices.append(worker_id)
    pairs = [{"master_id": m, "apprentice_id": a, "since": date(2024, pairing_rng.randint(1, 12), 1)}
             for masters, apprentices in groups.values() for m, a in list(zip(masters, apprentices))[::2]]
    session.execute(insert(Pairing), pairs[:300])

    # A contest history per trade: contests of 20–40 entrants, results drawn from abilities.
    day = date(2023, 3, 1)
    held = 0
    by_trade = {r.trade: [(w, p) for w, p in zip(ids, people) if p[0].trade == r.trade] for r in rulesets}
    for round_ in range(contests_per_trade):
        for ruleset in rulesets:
            # Most entrants are a trade's regulars (the first 150 of it), the rest occasional.
            pool = by_trade[ruleset.trade]
            size = rng.randint(20, 40)
            regulars = min(150, len(pool))
            entrants = rng.sample(pool[:regulars], min(regulars, size * 7 // 10))
            entrants += rng.sample(pool[regulars:], min(len(pool) - regulars, size - len(entrants)))
            ease = rng.gauss(0, 0.6)
            shares, scores = {}, {}
            for worker_id, (_, abilities, _, _) in entrants:
                shares[worker_id] = {d.name: round(_logistic(0.9 * abilities[d.name] + ease + rng.gauss(0, 0.4)), 3)
                                     for d in ruleset.dimensions}
                scores[worker_id] = sum(float(d.weight) * shares[worker_id][d.name] for d in ruleset.dimensions)
            order = sorted(scores, key=lambda w: -scores[w])
            totals = {w: f"{100 * scores[w] / float(sum(d.weight for d in ruleset.dimensions)):.2f}" for w in order}
            ranks, previous = {}, None
            for position, w in enumerate(order, start=1):
                ranks[w] = ranks[previous] if previous and totals[previous] == totals[w] else position
                previous = w
            outcomes.record_contest(session, outcomes.ContestResults(
                f"H{day:%Y%m}-{ruleset.code.upper()}-{round_}", f"{day.year}年{ruleset.trade}岗位技能竞赛（第{round_ + 1}轮）",
                day, ruleset.trade, str(ruleset.total),
                tuple(outcomes.EntrantResult(w, ranks[w], totals[w], shares[w]) for w in order)))
            held += 1
        day += timedelta(days=23)
    session.flush()
    if session.scalar(select(StaffAccount.id).where(StaffAccount.username == DEMO_HR[0])) is None:
        create_staff_account(session, username=DEMO_HR[0], display_name=f"{enterprises[0].name} 人力资源部",
                             password=DEMO_HR[1], enterprise_id=enterprises[0].id)
    applied = _seed_selection(session, [w for w, p in sorted(zip(ids, people), key=lambda x: -x[1][2])[:24]], rng)
    return {"workers": workers, "contests": held, "certificates": len(certificates), "answers": len(answers),
            "applications": applied}


def _seed_selection(session: Session, applicants: list[int], rng: random.Random) -> int:
    """A selection round under review: most applications approved by every department, one
    returned with its reason, a few still waiting."""
    round_ = selection.open_round(session, code=DEMO_SELECTION, name="2026年度工匠遴选", year=2026)
    model = selection.model_of(round_)
    for n, worker_id in enumerate(applicants):
        application = selection.submit(session, round_.id, worker_id, statement="本人申报，材料见附件。",
                                       actor="admin:demo")
        if n == 5:
            selection.review(session, application.id, department=model.departments[0], approve=True, reason="",
                             actor="admin:demo")
            selection.review(session, application.id, department=model.departments[1], approve=False,
                             reason="技师证书编号与鉴定中心记录不符，请核对后重新申报", actor="admin:demo")
            continue
        for department in model.departments[: 3 if n < 18 else rng.randint(0, 2)]:
            selection.review(session, application.id, department=department, approve=True, reason="",
                             actor="admin:demo")
    return len(applicants)

"""Demo data for matching: one district's 14 township service teams (as DOMAIN.md §4 describes), the
needs of the demo enterprises, a few finished and rated orders, a proposed round, bounties."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.accounts import StaffAccount, create_staff_account
from profiles.demo import DEMO_HR
from profiles.models import Enterprise, Worker

from . import bounties, orders, rounds
from .models import Need, Offer, ServiceTeam, ServiceTeamMember

DEMO_TEAM = ("team-zhili", "jiangxing-team")  # the 织里镇 team's sign-in
STAFF = "admin:demo"

TEAMS = [  # (township code, fields, capacity)
    ("zhili", ["welding", "sheet-metal", "robotics"], 3), ("balidian", ["cnc", "moulds"], 2),
    ("miaoxi", ["chemical", "quality"], 2), ("daixi", ["heat-treatment", "welding"], 2),
    ("donglin", ["textile", "chemical"], 2), ("daochang", ["power-grid", "safety"], 2),
    ("yuehe", ["electrical", "automation"], 3), ("chaoyang", ["iiot", "industrial-software"], 2),
    ("aishan", ["imaging", "satellite-comm"], 2), ("feiying", ["lean", "quality"], 2),
    ("longquan", ["ev", "auto-repair"], 2), ("renhuangshan", ["robotics", "automation"], 3),
    ("kangshan", ["metrology", "fitting"], 2), ("huanzhu", ["electrical-assembly", "electrical"], 2),
]

NEEDS = [  # (kind, title, fields, place, urgency)
    ("problem", "不锈钢薄板焊接变形攻关", ["welding", "sheet-metal"], "zhili", 3),
    ("problem", "注塑模具寿命短、飞边多", ["moulds", "cnc"], "balidian", 2),
    ("training", "新入职电工安全操作培训", ["electrical", "safety"], "yuehe", 1),
    ("innovation", "产线视觉检测替代人工目检", ["imaging", "robotics"], "kangshan", 2),
    ("transfer", "老师傅精密装配绝活传承", ["fitting", "metrology"], "feiying", 1),
    ("problem", "PLC 控制柜频繁跳闸", ["automation", "electrical"], "chaoyang", 3),
    ("training", "童装印染工艺质量提升", ["textile", "quality"], "zhili", 1),
    ("innovation", "设备联网与能耗看板", ["iiot", "industrial-software"], "renhuangshan", 1),
    ("problem", "热处理后零件硬度不均", ["heat-treatment", "quality"], "daixi", 2),
    ("transfer", "新能源汽车电池包维修技能", ["ev", "auto-repair"], "longquan", 1),
    ("problem", "卫星天线装配精度不足", ["satellite-comm", "metrology"], "aishan", 2),
    ("training", "精益生产班组长培训", ["lean"], "huanzhu", 1),
    ("problem", "焊接机器人轨迹示教效率低", ["robotics", "welding"], "huanzhu", 2),
    ("innovation", "配电房巡检数字化", ["power-grid", "iiot"], "daochang", 1),
    ("problem", "化工反应釜温控波动", ["chemical", "automation"], "miaoxi", 3),
    ("training", "数控车床编程提升班", ["cnc"], "balidian", 1),
    ("problem", "电气装配一次合格率偏低", ["electrical-assembly", "quality"], "longquan", 2),
    # No team covers enough of it (each covers one field of three): it stays unmatched, saying why.
    ("innovation", "海洋浮标卫星通信与电池护套", ["satellite-comm", "ev", "textile"], "nanxun", 1),
]


def seed_matching(session: Session, engine: rounds.Engine, *, seed: int = 5) -> dict:
    """Load the matching demo once (nothing when teams exist already)."""
    if session.scalar(select(ServiceTeam.id).limit(1)) is not None:
        return {"teams": 0, "needs": 0}
    rng = random.Random(seed)
    enterprises = session.scalars(select(Enterprise).order_by(Enterprise.id)).all()
    if not enterprises:
        return {"teams": 0, "needs": 0}
    # The demo HR account's enterprise comes first: it posts today's first needs, so its page shows them.
    hr_enterprise = session.scalar(select(StaffAccount.enterprise_id).where(StaffAccount.username == DEMO_HR[0]))
    enterprises.sort(key=lambda e: e.id != hr_enterprise)
    workers = session.scalars(select(Worker).order_by(Worker.skill_level.desc(), Worker.id).limit(14 * 4)).all()
    teams = []
    for n, (place, fields, capacity) in enumerate(TEAMS):
        name = f"{engine.geography.place(place).name}劳模工匠服务队"
        team = ServiceTeam(name=name, place=place, fields=fields, capacity=capacity)
        session.add(team)
        session.flush()
        for k, worker in enumerate(workers[n * 4:(n + 1) * 4]):
            session.add(ServiceTeamMember(team_id=team.id, worker_id=worker.id, leader=k == 0))
        teams.append(team)
    if session.scalar(select(StaffAccount.id).where(StaffAccount.username == DEMO_TEAM[0])) is None:
        account = create_staff_account(session, username=DEMO_TEAM[0], display_name=teams[0].name,
                                       password=DEMO_TEAM[1], serves_team=True)
        teams[0].account_id = account.id
    # A history: a few orders served and rated, so past ratings differ between teams.
    done = [("problem", "冲压件毛刺处理", ["sheet-metal"], "zhili", 2), ("training", "低压电工实操", ["electrical"], "yuehe", 1),
            ("problem", "模具抛光工艺", ["moulds"], "balidian", 1), ("innovation", "机器人焊接工作站", ["robotics"], "renhuangshan", 1)]
    for n, spec in enumerate(done):
        _post(session, engine, enterprises[n % len(enterprises)], spec)
    round_, _ = rounds.run_round(session, engine, actor=STAFF)
    rounds.send_offers(session, round_.id, actor=STAFF)
    for need in session.scalars(select(Need).where(Need.status == "offered")).all():
        offer = session.scalar(select(Offer).where(Offer.need_id == need.id, Offer.status == "offered"))
        orders.accept(session, offer.id, team_id=offer.team_id, actor=f"team:{offer.team_id}")
        orders.start(session, need.id, actor="hr:demo")
        orders.complete(session, need.id, solved=True, benefit_yuan=str(rng.randrange(20, 400) * 1000),
                        hours=str(rng.randrange(8, 80)), actor="hr:demo")
        orders.rate(session, need.id, rating=rng.choice((4, 5, 5)), comment="服务专业，问题解决", actor="hr:demo")
    # The open needs of today's round: the HR demo account's enterprise posts the first few.
    for n, spec in enumerate(NEEDS):
        _post(session, engine, enterprises[0] if n < 4 else enterprises[n % len(enterprises)], spec)
    rounds.run_round(session, engine, actor=STAFF)
    today = date.today()
    board = [("大型薄壁件焊接变形", ["welding"], "80000"), ("高速主轴异响诊断", ["cnc", "metrology"], "50000"),
             ("染色废水回用工艺", ["chemical", "textile"], "120000")]
    for n, (title, fields, reward) in enumerate(board):
        bounty, _ = bounties.post_bounty(session, engine.taxonomy, enterprise_id=enterprises[n % len(enterprises)].id,
                                         title=title, description="揭榜挂帅：欢迎服务队或个人揭榜", fields=fields,
                                         reward_yuan=reward, deadline=today + timedelta(days=30 + 10 * n),
                                         actor="hr:demo")
        if n == 0:
            bounties.claim(session, bounty.id, proposal="分段退焊 + 刚性固定，两周内出方案", team_id=teams[0].id,
                           actor=f"team:{teams[0].id}")
    session.flush()
    return {"teams": len(teams), "needs": len(NEEDS) + len(done), "bounties": len(board)}


def _post(session: Session, engine: rounds.Engine, enterprise: Enterprise, spec) -> Need:
    kind, title, fields, place, urgency = spec
    need, _ = orders.post_need(session, engine.taxonomy, engine.geography, enterprise_id=enterprise.id, kind=kind,
                               title=title, fields=fields, place=place, urgency=urgency, actor="hr:demo",
                               description=f"{enterprise.name}：{title}")
    return need

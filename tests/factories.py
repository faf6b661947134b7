"""Builders for test contests: real services, a small rule set, two sites."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from competition import setup
from competition.models import Contest, Contestant, Referee, Site
from profiles.models import Enterprise, Worker

SMALL_RULESET = """
[ruleset]
code = "mini-stages"
name = "迷你闯关赛"
version = "1"
total = 20
tie_break = ["total", "stages_cleared", "clear_time"]

[[dimensions]]
code = "skill"
name = "操作技能"
weight = 0.6
[[dimensions]]
code = "theory"
name = "理论"
weight = 0.4

[[stages]]
code = "S1"
name = "第一关"
time_limit_s = 600
pass_mark = 5
overrun_step_s = 60
overrun_deduct = 1
overrun_max_s = 120

[[stages]]
code = "S2"
name = "第二关"
time_limit_s = 900
pass_mark = 4

[[criteria]]
code = "A"
name = "第一关任务"
stage = "S1"
  [[criteria.sub_criteria]]
  code = "A1"
  name = "测量与判断"
    [[criteria.sub_criteria.aspects]]
    code = "M1"
    name = "电压"
    kind = "measurement"
    method = "tolerance"
    target = 24
    bands = [ { within = 0.5, marks = 4 }, { within = 1, marks = 2 } ]
    max = 4
    dimension = "skill"
    [[criteria.sub_criteria.aspects]]
    code = "J1"
    name = "工艺"
    kind = "judgement"
    max = 6
    max_spread = 1
    dimension = "skill"
    descriptors = ["差", "合格", "良", "优"]

[[criteria]]
code = "B"
name = "第二关任务"
stage = "S2"
  [[criteria.sub_criteria]]
  code = "B1"
  name = "理论与操作"
    [[criteria.sub_criteria.aspects]]
    code = "Q1"
    name = "单选"
    kind = "objective"
    item = "single"
    options = ["A. 1", "B. 2", "C. 3"]
    answer = "B"
    max = 4
    dimension = "theory"
    [[criteria.sub_criteria.aspects]]
    code = "P1"
    name = "通电试车"
    kind = "measurement"
    method = "pass_fail"
    max = 6
    dimension = "skill"

[[deductions]]
code = "SAFETY"
name = "安全违规"
per_occurrence = 1
cap = 3

[[deductions]]
code = "DQ"
name = "取消资格"
disqualify = true
"""

_counter = itertools.count(1)


@dataclass
class World:
    contest: Contest
    sites: list[Site]
    enterprises: list[Enterprise]
    contestants: list[Contestant]
    referees: dict[int, list[Referee]] = field(default_factory=dict)  # site index → judges
    chief: Referee | None = None


def key() -> str:
    return f"cmd-{next(_counter)}"


def build_world(session: Session, *, ruleset_text: str = SMALL_RULESET, contestants_per_site: int = 3,
                start: bool = True) -> World:
    """A contest at two sites; contestants from enterprises 0–1, referees from enterprises 2–3."""
    n = next(_counter)
    contest = setup.create_contest(session, code=f"T{n}", name=f"测试赛 {n}", ruleset_text=ruleset_text)
    enterprises = [Enterprise(name=f"企业{n}-{i}") for i in range(4)]
    session.add_all(enterprises)
    session.flush()
    sites = [setup.add_site(session, contest, code=f"S{i}", name=f"赛点{i}", city=city)
             for i, city in enumerate(["温州", "杭州"])]
    contestants = []
    for s, site in enumerate(sites):
        for i in range(contestants_per_site):
            worker = Worker(name=f"选手{s}{i}", enterprise_id=enterprises[i % 2].id)
            session.add(worker)
            session.flush()
            contestants.append(setup.register_contestant(
                session, contest, worker=worker, site=site, ticket_no=f"{n}-{s}{i:02d}", station=f"{i + 1}"))
    world = World(contest, sites, enterprises, contestants)
    ruleset = setup.ruleset_of(contest)
    for s, site in enumerate(sites):
        judges = [setup.add_referee(session, contest, code=f"R{n}-{s}{j}", name=f"裁判{s}{j}",
                                    enterprise_id=enterprises[2 + j % 2].id, site=site) for j in range(3)]
        world.referees[s] = judges
        for code, aspect in ruleset.aspects.items():
            if aspect.kind == "judgement":
                setup.assign_panel(session, contest, site=site, aspect_code=code, referees=judges)
            elif aspect.kind == "measurement":
                setup.assign_panel(session, contest, site=site, aspect_code=code, referees=judges[:1])
    world.chief = setup.add_referee(session, contest, code=f"CHIEF{n}", name="裁判长", enterprise_id=None,
                                    site=None, is_chief=True)
    if start:
        setup.start_contest(session, contest, actor="staff:test", command_key=key())
    return world


@contextmanager
def demo_population(engine, *, workers: int, contests_per_trade: int, seed: int):
    """A small demo population (profiles.demo) in its own transaction, rolled back afterwards; the
    trade portrait cache is cleared on both sides so no other test sees it."""
    from profiles import demo, queries

    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    queries.trade_portraits.clear()
    demo.seed_population(session, workers=workers, contests_per_trade=contests_per_trade, seed=seed)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
        queries.trade_portraits.clear()

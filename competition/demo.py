"""A believable demo: two live contests at three sites with marks already in the log.

Everything goes through the real services, so the demo's log verifies and replays like any
other. Randomness is seeded: the same seed gives the same contest.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from profiles.accounts import StaffAccount, create_staff_account
from profiles.db import utcnow
from profiles.models import Enterprise, Worker
from scoring_rules import bundled_ruleset_path
from scoring_rules.model import JudgementAspect, MeasurementAspect

from . import access, marking, setup
from .models import Contest

SITES = [("WZ", "温州赛点", "温州"), ("JX", "嘉兴赛点", "嘉兴"), ("HZ", "湖州赛点", "湖州")]
ENTERPRISES = ["温州正泰电气", "嘉兴博创激光", "湖州精工电气", "宁波奥克斯电气", "杭州大和热磁", "绍兴越美电子"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["建国", "海峰", "志强", "晓东", "丽娟", "国庆", "伟", "敏", "俊杰", "秀英", "立新", "文斌", "红梅", "振华", "永刚"]


# Demo sign-ins, printed by `flask demo-links`; a real contest sets its own (see README).
DEMO_ADMIN = ("admin", "jiangxing-demo")
DEMO_REFEREE_PIN = "1234"
DEMO_CONTESTANT_PIN = "0000"


def seed_demo(session: Session, *, contestants_per_site: int = 8, seed: int = 2026) -> list[Contest]:
    """Create the demo staff account and both demo contests (idempotent by code) and return them."""
    if session.scalar(select(StaffAccount).where(StaffAccount.username == DEMO_ADMIN[0])) is None:
        create_staff_account(session, username=DEMO_ADMIN[0], display_name="演示管理员", password=DEMO_ADMIN[1])
    return [
        _seed_contest(session, code="DEMO-EA", ruleset_code="electrical-assembly",
                      name="长三角电气装配工技能邀请赛（演示）", contestants_per_site=contestants_per_site, seed=seed),
        _seed_contest(session, code="DEMO-ES", ruleset_code="electrician-stages",
                      name="长三角20城电工跨区域闯关邀请赛（演示）", contestants_per_site=contestants_per_site,
                      seed=seed + 1),
    ]


def _seed_contest(session: Session, *, code: str, ruleset_code: str, name: str, contestants_per_site: int,
                  seed: int) -> Contest:
    rng = random.Random(seed)
    existing = session.scalar(select(Contest).where(Contest.code == code))
    if existing is not None:
        return existing
    text = bundled_ruleset_path(ruleset_code).read_text(encoding="utf-8")
    contest = setup.create_contest(session, code=code, name=name, ruleset_text=text)
    ruleset = setup.ruleset_of(contest)
    enterprises = []
    for enterprise_name in ENTERPRISES:
        enterprise = session.scalar(select(Enterprise).where(Enterprise.name == enterprise_name))
        if enterprise is None:
            enterprise = Enterprise(name=enterprise_name)
            session.add(enterprise)
        enterprises.append(enterprise)
    session.flush()
    sites = [setup.add_site(session, contest, code=c, name=n, city=city) for c, n, city in SITES]
    contestants = []
    for s, site in enumerate(sites):
        # Contestants at a site come from two enterprises; its referees from the other four (回避).
        home = enterprises[(2 * s) % 6], enterprises[(2 * s + 1) % 6]
        for i in range(contestants_per_site):
            worker = Worker(name=rng.choice(SURNAMES) + rng.choice(GIVEN), enterprise_id=home[i % 2].id,
                            trade=ruleset.trade)
            session.add(worker)
            session.flush()
            contestant = setup.register_contestant(session, contest, worker=worker, site=site,
                                                   ticket_no=f"{site.code}{i + 1:03d}", station=f"{i + 1:02d}")
            access.set_pin(contestant, DEMO_CONTESTANT_PIN)
            contestants.append(contestant)
    panels = {}
    for s, site in enumerate(sites):
        home_ids = {enterprises[(2 * s) % 6].id, enterprises[(2 * s + 1) % 6].id}
        others = [e for e in enterprises if e.id not in home_ids]
        judges = [setup.add_referee(session, contest, code=f"{site.code}-R{j + 1}",
                                    name=rng.choice(SURNAMES) + rng.choice(GIVEN), enterprise_id=others[j % 4].id,
                                    site=site) for j in range(5)]
        panels[site.id] = judges
        for judge in judges:
            access.set_pin(judge, DEMO_REFEREE_PIN)
        for aspect in ruleset.aspects.values():
            if isinstance(aspect, JudgementAspect):
                setup.assign_panel(session, contest, site=site, aspect_code=aspect.code,
                                   referees=judges[:aspect.panel_size])
            elif isinstance(aspect, MeasurementAspect):
                setup.assign_panel(session, contest, site=site, aspect_code=aspect.code, referees=judges[:1])
    chief = setup.add_referee(session, contest, code="CHIEF", name="裁判长", enterprise_id=None, site=None,
                              is_chief=True)
    access.set_pin(chief, DEMO_REFEREE_PIN)
    access.create_display_link(session, contest, label="总榜大屏 Overall screen")
    for site in sites:
        access.create_display_link(session, contest, site_id=site.id, label=f"{site.name}大屏 {site.code} screen")
    setup.start_contest(session, contest, actor="staff:demo", command_key=f"{code}-start")

    start = utcnow() - timedelta(hours=3)
    for n, contestant in enumerate(contestants):
        ability = rng.uniform(0.45, 0.95)
        # Leave half the contestants part-marked: the board shows a contest in progress, and
        # `flask simulate` has marks left to enter.
        share = 1.0 if n % 8 < 4 else 0.5
        judges = panels[contestant.site_id]
        if not ruleset.stages:
            _mark_aspects(session, ruleset.aspects.values(), contestant, judges, ability, share, rng, code)
        else:
            clock = start
            for stage in ruleset.stages:
                marking.start_stage(session, contestant=contestant, stage_code=stage.code, actor="staff:demo",
                                    command_key=f"{code}-{contestant.id}-{stage.code}-start", now=clock)
                aspects = [a for a in ruleset.aspects.values() if a.stage == stage.code]
                _mark_aspects(session, aspects, contestant, judges, ability, share, rng, code)
                if share < 1:
                    break  # still working on this stage
                clock += timedelta(seconds=int(stage.time_limit_s * rng.uniform(0.5, 1.05)))
                done = marking.finish_stage(session, contestant=contestant, stage_code=stage.code, actor="staff:demo",
                                            command_key=f"{code}-{contestant.id}-{stage.code}-finish", now=clock)
                if done.events[0].kind != "stage_cleared":
                    break
        if rng.random() < 0.15:
            marking.apply_deduction(session, referee=judges[0], contestant=contestant, deduction_code="SAFETY",
                                    note="未佩戴绝缘手套", command_key=f"{code}-{contestant.id}-safety")
    return contest


def _mark_aspects(session, aspects, contestant, judges, ability, share, rng, code) -> None:
    for aspect in aspects:
        if rng.random() > share:
            continue
        key = f"{code}-{contestant.id}-{aspect.code}"
        if isinstance(aspect, JudgementAspect):
            centre = round(ability * aspect.scale_max)
            for seat, judge in enumerate(judges[:aspect.panel_size]):
                score = max(0, min(aspect.scale_max, centre + rng.choice([0, 0, 0, -1, 1])))
                marking.record_mark(session, referee=judge, contestant=contestant, aspect_code=aspect.code,
                                    value=score, command_key=f"{key}-{seat}")
        elif isinstance(aspect, MeasurementAspect):
            marking.record_mark(session, referee=judges[0], contestant=contestant, aspect_code=aspect.code,
                                value=plausible_reading(aspect, ability, rng), command_key=key)
        else:
            marking.answer_item(session, contestant=contestant, aspect_code=aspect.code,
                                answer=plausible_answer(aspect, rng.random() < ability, rng), command_key=key)


def plausible_reading(aspect: MeasurementAspect, ability: float, rng: random.Random):
    if aspect.method == "pass_fail":
        return rng.random() < ability + 0.1
    if aspect.method == "levels":
        return aspect.levels[0 if rng.random() < ability else rng.randrange(len(aspect.levels))].label
    spread = aspect.bands[-1].within if aspect.method == "tolerance" else aspect.step * 3 + aspect.free
    deviation = Decimal(str(round(rng.uniform(0, float(spread) * (1.3 - ability)), 2)))
    return str(aspect.target + (deviation if rng.random() < 0.5 else -deviation)) if aspect.target else str(
        abs(deviation).quantize(Decimal(1)))


def plausible_answer(aspect, correct: bool, rng: random.Random):
    if aspect.item == "true_false":
        return aspect.answer if correct else not aspect.answer
    if aspect.item == "numeric":
        return str(aspect.answer if correct else aspect.answer + 1)
    if aspect.item == "multiple":
        return list(aspect.answer) if correct else list(aspect.answer[:1])
    labels = [o.split(".", 1)[0].strip() for o in aspect.options] or [aspect.answer]
    return aspect.answer if correct else rng.choice(labels)

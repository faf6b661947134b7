"""Several writers at once (threads with their own connections, as several server processes
would be): the log stays gap-free and chained, and a command sent twice at once lands once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition import eventlog, marking
from competition.models import ContestEvent, Contestant, Referee
from tests.factories import build_world, key


def test_concurrent_marks_get_a_gap_free_chained_sequence_and_retries_land_once(engine):
    with Session(engine) as session:
        world = build_world(session, contestants_per_site=4)
        for contestant in world.contestants:
            marking.start_stage(session, contestant=contestant, stage_code="S1", actor="staff:t", command_key=key())
        session.commit()
        contest_id = world.contest.id
        plan = []  # (referee id, contestant id, command key); every key appears twice
        for contestant in world.contestants:
            site = next(i for i, s in enumerate(world.sites) if s.id == contestant.site_id)
            for referee in world.referees[site]:
                plan.append((referee.id, contestant.id, f"race-{contest_id}-{referee.id}-{contestant.id}"))
    errors: list[BaseException] = []

    def writer(items):
        try:
            with Session(engine) as session:
                for referee_id, contestant_id, command_key in items:
                    marking.record_mark(session, referee=session.get(Referee, referee_id),
                                        contestant=session.get(Contestant, contestant_id), aspect_code="J1",
                                        value=2, command_key=command_key)
                    session.commit()
        except Exception as exc:  # noqa: BLE001 - any failure in a writer fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(plan,)), threading.Thread(target=writer, args=(plan[::-1],)),
               threading.Thread(target=writer, args=(plan[len(plan) // 2:] + plan[:len(plan) // 2],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    with Session(engine) as session:
        marks = session.scalar(select(func.count()).where(ContestEvent.contest_id == contest_id,
                                                          ContestEvent.kind == "mark_recorded"))
        assert marks == len(plan)  # each command once, though three writers sent it
        seqs = session.scalars(select(ContestEvent.seq).where(ContestEvent.contest_id == contest_id)
                               .order_by(ContestEvent.seq)).all()
        assert seqs == list(range(1, len(seqs) + 1))
        assert eventlog.verify_chain(session, contest_id).ok

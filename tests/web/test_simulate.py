"""`flask simulate` drives a contest through the API as referees and contestants would."""

from __future__ import annotations

from sqlalchemy import func, select

from competition import eventlog
from competition.demo import DEMO_CONTESTANT_PIN, DEMO_REFEREE_PIN
from competition.models import Contest, ContestEvent
from web.simulate import Simulator


def client_transport(client):
    def call(method, path, body, token):
        response = client.open(path, method=method, json=body,
                               headers={"Authorization": f"Bearer {token}"} if token else {})
        return response.status_code, response.get_json()
    return call


def test_the_simulator_marks_and_runs_stages_through_the_api(demo_app, client):
    lines = []
    factory = demo_app.extensions["jx_db"].session_factory
    with factory() as session:  # no app context around the requests: each gets its own, as in a server
        contest_id, before = session.execute(select(Contest.id, Contest.last_seq).where(Contest.code == "DEMO-ES")).one()
        simulator = Simulator(session, "DEMO-ES", client_transport(client), DEMO_REFEREE_PIN, DEMO_CONTESTANT_PIN,
                              log=lines.append)
        for _ in range(40):
            assert simulator.step()
    with factory() as session:
        kinds = dict(session.execute(select(ContestEvent.kind, func.count()).where(
            ContestEvent.contest_id == contest_id, ContestEvent.seq > before).group_by(ContestEvent.kind)).all())
        assert kinds.get("mark_recorded", 0) > 10, "\n".join(lines)
        assert kinds.get("stage_started", 0) + kinds.get("item_answered", 0) > 0, "\n".join(lines)
        assert eventlog.verify_chain(session, contest_id).ok
    refused = [line for line in lines if "✗" in line]
    assert len(refused) <= 3, refused  # a spread block can refuse a stage now and then; nothing else

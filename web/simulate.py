"""``flask simulate CONTEST``: referees and contestants played by the computer, through the real API.

Every simulated referee signs in with their code and PIN, reads their assignments and marks what
is open at a steady rate; in staged contests the contestants start stages, answer their items
and finish once their stage is marked. Everything goes through HTTP like a tablet, so the big
screens move exactly as they would in a contest.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.demo import plausible_answer, plausible_reading
from competition.models import Contest, Contestant, Referee
from competition.setup import ruleset_of
from scoring_rules.model import JudgementAspect, MeasurementAspect

Transport = Callable[[str, str, dict | None, str | None], tuple[int, dict]]


def http_transport(base: str) -> Transport:
    def call(method: str, path: str, body: dict | None, token: str | None) -> tuple[int, dict]:
        request = urllib.request.Request(
            base.rstrip("/") + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")
    return call


@dataclass
class Simulator:
    """Plays a contest's referees and contestants; ``step()`` performs one action."""

    session: Session
    contest_code: str
    call: Transport
    referee_pin: str
    contestant_pin: str
    seed: int = 7
    log: Callable[[str], None] = print
    rng: random.Random = field(init=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        contest = self.session.scalar(select(Contest).where(Contest.code == self.contest_code))
        if contest is None:
            raise LookupError(f"no contest {self.contest_code!r}")
        self.contest = contest
        self.ruleset = ruleset_of(contest)
        self.base = f"/api/v1/contests/{self.contest_code}"
        self.referees = {r.code: None for r in self.session.scalars(
            select(Referee).where(Referee.contest_id == contest.id, Referee.is_chief.is_(False)).order_by(Referee.code))}
        self.tickets = list(self.session.scalars(select(Contestant.ticket_no).where(
            Contestant.contest_id == contest.id).order_by(Contestant.ticket_no)))
        self.ability = {ticket: self.rng.uniform(0.45, 0.95) for ticket in self.tickets}
        # Names are read once; end the read transaction so the server's writes never wait on it.
        self.session.close()
        self.contestant_tokens: dict[str, str] = {}
        self.sent = 0
        self._work: list = []
        self._moves: list = []
        self._fresh_in = 0

    def _token(self, role: str, login: str, pin: str) -> str:
        status, answer = self.call("POST", "/api/v1/auth/token",
                                   {"role": role, "contest": self.contest_code, "login": login, "secret": pin}, None)
        if status != 201:
            raise PermissionError(f"{role} {login} cannot sign in: {answer.get('message')}")
        return answer["token"]

    def _open_marks(self) -> list[tuple[str, str, dict]]:
        """Every (referee, contestant ticket, aspect) still to mark, from the referees' own assignments."""
        work = []
        for code in self.referees:
            if self.referees[code] is None:
                self.referees[code] = self._token("referee", code, self.referee_pin)
            status, data = self.call("GET", f"{self.base}/assignments", None, self.referees[code])
            if status != 200:
                continue
            for contestant in data["contestants"]:
                for aspect in data["aspects"]:
                    stage_open = aspect["stage"] is None or aspect["stage"] in contestant["started_stages"]
                    if stage_open and aspect["code"] not in contestant["my_marks"] and not contestant["signed_off"]:
                        work.append((code, contestant["ticket_no"], aspect))
        return work

    def _stage_moves(self) -> list[tuple[str, str, str]]:
        """Contestants' next stage actions: ``(ticket, action, stage)``."""
        moves = []
        for ticket in self.tickets:
            token = self.contestant_tokens.get(ticket) or self._token("contestant", ticket, self.contestant_pin)
            self.contestant_tokens[ticket] = token
            status, sheet = self.call("GET", f"{self.base}/sheets/{ticket}", None, token)
            if status != 200:
                continue
            running = next((s for s in sheet["stages"] if s["status"] == "in_progress"), None)
            if running is None:
                nxt = next((s for s in sheet["stages"] if s["status"] == "not_started"), None)
                if nxt is not None and all(s["status"] in ("cleared",) for s in sheet["stages"][:sheet["stages"].index(nxt)]):
                    moves.append((ticket, "start", nxt["code"]))
                continue
            aspects = {a["code"]: a for a in sheet["aspects"]}
            stage_aspects = [code for code, a in self.ruleset.aspects.items() if a.stage == running["code"]]
            unanswered = [code for code in stage_aspects if aspects[code]["status"] == "missing"
                          and not isinstance(self.ruleset.aspects[code], (JudgementAspect, MeasurementAspect))]
            if unanswered:
                moves.append((ticket, "answer", unanswered[0]))
            elif all(aspects[code]["status"] not in ("missing", "incomplete") for code in stage_aspects):
                moves.append((ticket, "finish", running["code"]))
        return moves

    def step(self) -> bool:
        """Do one thing a person at the contest would do next; False when nothing is left."""
        # Reading every tablet's assignments costs a request per person: do it every few actions.
        if self._fresh_in <= 0 or not (self._work or self._moves):
            self._work = self._open_marks()
            self._moves = self._stage_moves() if self.ruleset.stages else []
            self._fresh_in = 12
        self._fresh_in -= 1
        work, moves = self._work, self._moves
        if not work and not moves:
            return False
        if moves and (not work or self.rng.random() < 0.3):
            ticket, action, target = choice = self.rng.choice(moves)
            moves.remove(choice)
            if action != "answer":
                self._fresh_in = 0  # a stage moved: what is open has changed
            token = self.contestant_tokens[ticket]
            key = f"sim-{ticket}-{action}-{target}-{self.rng.getrandbits(32):08x}"
            if action == "answer":
                aspect = self.ruleset.aspects[target]
                answer = plausible_answer(aspect, self.rng.random() < self.ability[ticket], self.rng)
                status, reply = self.call("POST", f"{self.base}/answers",
                                          {"aspect": target, "answer": answer, "idempotency_key": key}, token)
            else:
                status, reply = self.call("POST", f"{self.base}/stages/{target}/{action}", {"idempotency_key": key}, token)
            self._report(status, reply, f"{ticket} {action} {target}")
            return True
        referee, ticket, aspect_json = choice = self.rng.choice(work)
        work.remove(choice)
        aspect = self.ruleset.aspects[aspect_json["code"]]
        if isinstance(aspect, JudgementAspect):
            centre = round(self.ability[ticket] * aspect.scale_max)
            value = max(0, min(aspect.scale_max, centre + self.rng.choice([0, 0, 0, -1, 1])))
        else:
            value = plausible_reading(aspect, self.ability[ticket], self.rng)
        key = f"sim-{referee}-{ticket}-{aspect.code}-{self.rng.getrandbits(32):08x}"
        status, reply = self.call("POST", f"{self.base}/marks", {"contestant": ticket, "aspect": aspect.code,
                                                                   "value": value, "idempotency_key": key},
                                  self.referees[referee])
        self._report(status, reply, f"{referee} marks {ticket} {aspect.code} = {value}")
        return True

    def _report(self, status: int, reply: dict, what: str) -> None:
        self.sent += 1
        if status in (200, 201):
            self.log(f"  ✓ {what}  → total {reply['sheet'].get('total')} (seq {reply['seq']})")
        else:
            self.log(f"  ✗ {what}  → {status} {reply.get('message')}")

    def run(self, *, rate: float, duration: float | None) -> int:
        """Act ``rate`` times a second until nothing is left (or ``duration`` seconds pass)."""
        started = time.monotonic()
        while duration is None or time.monotonic() - started < duration:
            tick = time.monotonic()
            if not self.step():
                self.log("simulate: nothing left to do")
                break
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - tick)))
        return self.sent

"""Load test of the HTTP service: searches and asks from the labelled question sets, at a
fixed number of users, bounded in requests and time, against loopback only.

    regkb serve --port 8765 --workers 2 &
    locust -f eval/bench/locustfile.py --headless -u 16 -r 16 --host http://127.0.0.1:8765 \
           --run-time 15m --only-summary --csv eval/load

It stops by itself after ``REGKB_LOAD_SEARCHES`` searches and ``REGKB_LOAD_ASKS`` asks
(default 2,000 and 500), then prints throughput, p50/p95/p99 and errors per endpoint
(``--csv`` writes them to files as well). Each user waits ``REGKB_LOAD_THINK`` seconds
(default 0.5–1.5, a person reading the answer) between requests; 0 runs it closed-loop.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser

DATA = Path(__file__).resolve().parents[1] / "data"
SEARCHES = int(os.environ.get("REGKB_LOAD_SEARCHES", "2000"))
ASKS = int(os.environ.get("REGKB_LOAD_ASKS", "500"))
THINK = tuple(float(x) for x in os.environ.get("REGKB_LOAD_THINK", "0.5,1.5").split(","))
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def questions(name: str) -> list[str]:
    with open(DATA / name, encoding="utf-8") as lines:
        return [json.loads(line)["question"] for line in lines if line.strip()]


class Budget:
    """How many requests of each kind are left; shared by every user of the run."""

    def __init__(self, searches: int, asks: int):
        self.left = {"search": searches, "ask": asks}
        self.unfinished = searches + asks
        self._lock = threading.Lock()

    def take(self) -> str | None:
        """The next kind to send (in proportion to what is left), or None when all are spent."""
        with self._lock:
            kinds = [k for k, n in self.left.items() if n > 0]
            if not kinds:
                return None
            kind = random.choices(kinds, weights=[self.left[k] for k in kinds])[0]
            self.left[kind] -= 1
            return kind

    def finish(self) -> bool:
        """One request answered; True for the last one (the run ends then, none cut short)."""
        with self._lock:
            self.unfinished -= 1
            return self.unfinished == 0


BUDGET = Budget(SEARCHES, ASKS)
SEARCH_QUESTIONS = itertools.cycle(questions("questions.jsonl"))
ASK_QUESTIONS = itertools.cycle(questions("ask_questions.jsonl"))


@events.test_start.add_listener
def loopback_only(environment, **_):
    host = urlsplit(environment.host or "").hostname
    if host not in LOOPBACK:
        raise SystemExit(f"只对本机（127.0.0.1）压测，不对 {environment.host}")


class Reader(HttpUser):
    wait_time = between(*THINK) if THINK != (0.0,) else constant(0)

    @task
    def one_request(self):
        kind = BUDGET.take()
        if kind is None:
            raise StopUser()
        if kind == "search":
            self.client.get("/api/search", params={"q": next(SEARCH_QUESTIONS), "k": 10}, name="/api/search")
        else:
            self.client.post("/api/ask", json={"question": next(ASK_QUESTIONS)}, name="/api/ask")
        if BUDGET.finish():
            # from a greenlet of its own: quitting kills every user's greenlet, this one included
            gevent.spawn(self.environment.runner.quit)

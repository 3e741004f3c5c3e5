"""Claims on background work (projections, policies, consumers, periodic jobs) as PostgreSQL
advisory locks, shared about evenly between the processes that run it (presence and candidate
locks, a fair share by count). Why and how:
docs/adr/0062-share-the-claims-about-evenly-between-worker-processes.md"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg

log = logging.getLogger("frontdesk.runtime")

PRESENCE = (4242003, 1)
"""The two-key advisory lock every claiming process holds shared."""
CHECK_EVERY = 5.0
"""Seconds between checks of a claim connection (and whether to give the claim back)."""
COUNT_EVERY = 1.0
"""Seconds between counts of the processes sharing the claims."""

_THIS_DATABASE = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"
COUNT_PRESENT = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                 "AND objsubid = 2 AND classid = %s AND objid = %s AND " + _THIS_DATABASE)
COUNT_CANDIDATES = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objsubid = 1 AND mode = 'ShareLock' AND "
                    "((classid::bigint << 32) | objid::bigint) = hashtext(%s)::bigint AND "
                    + _THIS_DATABASE)


def candidate_key(key: str) -> str:
    return f"candidate:{key}"


def others_want(conn: psycopg.Connection[Any], key: str) -> bool:
    """Does another session hold the candidate lock of ``key`` (this one holds it too)?"""
    row = conn.execute(COUNT_CANDIDATES, (candidate_key(key),)).fetchone()
    return bool(row and row[0] > 1)


class FairShare:
    """How many claims this process holds and should hold."""

    def __init__(self, claims: int = 0) -> None:
        self.claims = claims
        self.processes = 1
        self.held = 0
        self._giving_back = 0
        self._lock = threading.Lock()

    @property
    def share(self) -> int:
        return -(-self.claims // max(1, self.processes))

    def full(self) -> bool:
        with self._lock:
            return self.held >= self.share

    def took(self) -> None:
        with self._lock:
            self.held += 1

    def should_give_back(self) -> bool:
        """True for as many callers as this process holds claims beyond its share plus one
        (the one spare keeps two processes with different claims from trading one back and
        forth); each of them gives its claim back and then calls ``released(True)``."""
        with self._lock:
            if self.held - self._giving_back > self.share + 1:
                self._giving_back += 1
                return True
            return False

    def released(self, given_back: bool) -> None:
        with self._lock:
            self.held -= 1
            if given_back:
                self._giving_back -= 1

    def keep_presence(self, url: str, stop: threading.Event) -> None:
        """Hold the presence lock and count the processes holding it, until ``stop``."""
        while not stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", PRESENCE)
                    while not stop.is_set():
                        row = conn.execute(COUNT_PRESENT, PRESENCE).fetchone()
                        self.processes = max(1, int(row[0]) if row else 1)
                        stop.wait(COUNT_EVERY)
            except psycopg.Error as error:
                log.warning("claim sharing: lost the database (%s)", type(error).__name__)
                self.processes = 1  # alone as far as we know; the claims' own locks decide
                stop.wait(CHECK_EVERY)


class ClaimCheck:
    """Is the claim still ours to keep? False when its connection (and so the advisory lock)
    is gone, or when this process holds more than its share and this claim is the one to
    give back. Checked every ``CHECK_EVERY`` seconds."""

    def __init__(self, claim: psycopg.Connection[Any], key: str, fair: FairShare) -> None:
        self._claim, self._key, self._fair = claim, key, fair
        self._checked = time.monotonic()
        self.given_back = False

    def __call__(self) -> bool:
        if self.given_back:
            return False
        if time.monotonic() - self._checked < CHECK_EVERY:
            return True
        try:
            wanted = others_want(self._claim, self._key)
        except psycopg.Error:
            return False
        self._checked = time.monotonic()
        if wanted and self._fair.should_give_back():
            self.given_back = True
            return False
        return True

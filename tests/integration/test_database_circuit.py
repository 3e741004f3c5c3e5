"""The database's circuit (ADR 0073) against real PostgreSQL errors: it opens on an error that
says the database cannot be reached, not on one a working database gives; while its trials
fail it stays open; a successful trial runs the recovery steps and closes it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import psycopg
import pytest
from eventsourcing.persistence import OperationalError as StoreUnavailable
from psycopg_pool import PoolTimeout

from adapters.postgres.circuit import DatabaseCircuit, DatabaseUnavailable, reach, unreachable

NOBODY = "host=127.0.0.1 port=1 dbname=postgres user=nobody"
"""Nothing listens there: connecting is refused."""


def _refused() -> psycopg.OperationalError:
    with pytest.raises(psycopg.OperationalError) as refused:
        reach(NOBODY)
    return refused.value


def _cancelled(owner_url: str) -> psycopg.OperationalError:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("SET statement_timeout = '10ms'")
        with pytest.raises(psycopg.errors.QueryCanceled) as cancelled:
            conn.execute("SELECT pg_sleep(1)")
    return cancelled.value


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_unreachable_means_no_connection_not_a_refused_statement(owner_url: str) -> None:
    refused = _refused()
    assert unreachable(refused)
    assert unreachable(PoolTimeout("couldn't get a connection after 10.00 sec"))
    wrapped = StoreUnavailable("wrapped")
    wrapped.__cause__ = refused  # how the eventsourcing datastore raises it
    assert unreachable(wrapped)
    assert not unreachable(_cancelled(owner_url))  # a statement timeout: the database works
    assert not unreachable(ValueError("not a database error"))


def test_a_statement_error_leaves_the_circuit_closed(owner_url: str) -> None:
    circuit = DatabaseCircuit(partial(reach, owner_url))
    assert circuit.trip(_cancelled(owner_url)) is False
    circuit.admit()  # does not raise
    assert circuit.closed


def test_the_circuit_stays_open_while_trials_fail_and_recovers_before_it_closes(
        owner_url: str) -> None:
    target = [NOBODY]
    trials: list[str] = []
    recovered = threading.Event()

    def trial() -> None:
        trials.append(target[0])
        reach(target[0])

    circuit = DatabaseCircuit(trial, [recovered.set], reset_timeout=0.05)
    try:
        assert circuit.trip(_refused()) is True
        with pytest.raises(DatabaseUnavailable) as refused:
            circuit.admit()
        assert refused.value.retry_after >= 1
        _until(lambda: len(trials) >= 3, "no trials")
        assert not circuit.closed and not recovered.is_set()  # every trial failed so far

        target[0] = owner_url  # the database is back
        _until(lambda: circuit.closed, "the circuit did not close after the database returned")
        assert recovered.is_set()
        circuit.admit()
        target[0] = NOBODY  # the next outage: it opens again
        assert circuit.trip(_refused()) is True
        with pytest.raises(DatabaseUnavailable):
            circuit.admit()
    finally:
        circuit.stop()

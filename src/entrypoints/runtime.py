"""Background work of a process: projection runners, policies, consumers, periodic jobs, the
commit notifier and the listener for other processes' commits. ``serve`` runs it in-process;
``worker`` runs only this. Each runner and job is claimed with a PostgreSQL advisory lock, so
several processes never do the same work twice; the processes share the claims about evenly
(``adapters.postgres.advisory_claims``), and the others take a process's claims over when it
dies.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

from adapters.observability.service import FROZEN_OBJECTS
from adapters.postgres.advisory_claims import (
    CHECK_EVERY,
    ClaimCheck,
    FairShare,
    candidate_key,
    others_want,
)
from adapters.projections.consumers import ConsumerRunner
from adapters.projections.notify import NotificationListener
from adapters.projections.policies import PolicyRunner
from adapters.projections.runner import ProjectionRunner, topics_of
from entrypoints.container import Container

log = logging.getLogger("frontdesk.runtime")
Work = Callable[[Callable[[], bool]], None]
"""What a claim's holder does, given a check whether the claim is still its own."""


def tune_interpreter() -> None:
    """The GIL switch interval of an API process: 5 ms, Python's default, set explicitly;
    a shorter one cost CPU and gained nothing (ADR 0006)."""
    sys.setswitchinterval(0.005)


def settle_heap() -> int:
    """Once a process has started, move what it built into the collector's permanent
    generation, which full collections no longer walk (ADR 0056); returns how many objects."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    FROZEN_OBJECTS.set(frozen)
    return frozen


class Runtime:
    def __init__(self, container: Container, *, projections: bool = True,
                 policies: bool = True, listen: bool = True, claim_retry: float = 2.0) -> None:
        self._c = container
        self._projections, self._policies, self._listen = projections, policies, listen
        self._claim_retry = claim_retry
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._wakes: list[threading.Event] = []
        self._listener: NotificationListener | None = None
        self.runners: dict[str, ProjectionRunner] = {}
        self._fair = FairShare()

    def start(self) -> None:
        notifier = self._c.notifier()
        notifier.start()
        self._c.committer()  # wires commits to the notifier
        pool, mapper = self._c.worker_pool(), self._c.worker_mapper()
        claims: list[tuple[str, str, Work]] = []  # thread name, claim key, what to do
        if self._projections:
            for projection in self._c.projections():
                runner = self.runners[projection.name] = ProjectionRunner(projection, pool,
                                                                          mapper)
                claims.append((f"projection-{projection.name}", f"projection:{projection.name}",
                               self._following(runner, self._subscribe(topics_of(projection)))))
        if self._listen:
            self._listener = NotificationListener(self._c.database().worker_url,
                                                  notifier.wake_local,
                                                  origin=notifier.origin)
            self._spawn("commit-listener", self._listener.run)
        if self._policies:
            settings = self._c.settings()
            claims += [
                ("stale-lead-policy", "policy:stale-leads",
                 self._periodically(self._stale_leads, settings.stale_policy_interval)),
                ("erasure-compactor", "privacy:compaction",
                 self._periodically(self._c.privacy.compactor().run_once,
                                    settings.compaction_interval)),
                ("retention", "privacy:retention",
                 self._periodically(self._c.privacy.retention().run_once,
                                    settings.retention_interval)),
                ("tenant-retention", "privacy:tenant-retention",
                 self._periodically(self._tenant_retention, settings.retention_interval)),
                ("contact-center", "policy:contact-center",
                 self._contact_center(self._subscribe()))]
            tracing = self._c.tracing()
            tracer = tracing.tracer() if tracing is not None else None
            for policy in self._c.policies():
                follower: PolicyRunner | ConsumerRunner = PolicyRunner(
                    policy, pool, mapper, self._c.bus(), tracer=tracer)
                claims.append((f"policy-{policy.name}", follower.tracking_name,
                               self._following(follower, self._subscribe(follower.topics))))
            for consumer in self._c.consumers():
                follower = ConsumerRunner(consumer, pool, mapper, tracer=tracer)
                claims.append((f"consumer-{consumer.name}", follower.tracking_name,
                               self._following(follower, self._subscribe(follower.topics))))
            claims.append(("webhook-delivery", "webhooks:delivery", self._webhook_delivery()))
        self._fair.claims = len(claims)
        if claims:
            self._spawn("claim-sharing", self._fair.keep_presence,
                        self._c.database().worker_url, self._stop)
        for name, key, work in claims:
            self._spawn(name, self._claimed, key, work)

    def stop(self) -> None:
        self._stop.set()
        for wake in self._wakes:
            wake.set()
        if self._listener is not None:
            self._listener.stop()
        self._c.notifier().stop()
        # One deadline for them all: with the database unreachable, threads wait on the pool,
        # and 5 s each would add up to minutes. They are daemons: what is left ends with the
        # process, and nothing they hold is acknowledged before it is committed.
        deadline = time.monotonic() + 5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _claimed(self, key: str, work: Work) -> None:
        """Hold an advisory lock named ``key`` on a dedicated connection while doing ``work``,
        sharing the claims fairly with the other processes (``adapters.postgres.advisory_claims``).

        A standby keeps its connection between attempts: reconnecting for every attempt cost
        a PostgreSQL backend start per claim and retry interval (two dozen claims per
        process). The connection also holds the key's candidate lock."""
        url = self._c.database().worker_url
        patience = 3 * self._claim_retry
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as claim:
                    claim.execute("SELECT pg_advisory_lock_shared(hashtext(%s))",
                                  (candidate_key(key),))
                    free_since: float | None = None
                    while not self._stop.is_set():
                        got = claim.execute("SELECT pg_try_advisory_lock(hashtext(%s))",
                                            (key,)).fetchone()
                        if not (got and got[0]):
                            free_since = None
                            self._stop.wait(self._claim_retry)
                            continue
                        now = time.monotonic()
                        free_since = free_since or now
                        if (self._fair.full() and now - free_since < patience
                                and others_want(claim, key)):
                            # Full: leave it to a process with room, unless none takes it.
                            claim.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
                            self._stop.wait(self._claim_retry)
                            continue
                        free_since = None
                        if self._hold(claim, key, work):
                            self._stop.wait(patience + self._claim_retry)
            except psycopg.Error as error:
                log.warning("%s: lost the database (%s); retrying", key, error.__class__.__name__)
                self._stop.wait(self._claim_retry)

    def _hold(self, claim: psycopg.Connection[Any], key: str, work: Work) -> bool:
        """Do ``work`` under the claim just taken, then release it; True when it was given
        back to even out the claims."""
        self._fair.took()
        check = ClaimCheck(claim, key, self._fair)
        try:
            log.info("claimed %s", key)
            work(check)
        finally:
            self._fair.released(check.given_back)
        claim.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
        if check.given_back:
            log.info("gave %s back: %d claims, %d processes, a share of %d", key,
                     self._fair.claims, self._fair.processes, self._fair.share)
        return check.given_back

    def _following(self, runner: ProjectionRunner | PolicyRunner | ConsumerRunner,
                   wake: threading.Event) -> Work:
        """Run ``runner`` while the claim is held. Policies and consumers create their
        tracking rows here, under the claim, so a database that is down at start is retried
        like any later outage (the manager creates the projections' rows)."""
        def work(still_claimed: Callable[[], bool]) -> None:
            if not isinstance(runner, ProjectionRunner):
                runner.ensure_tracking()
            runner.position = None
            runner.run(self._stop, wake, still_claimed=still_claimed)

        return work

    def _subscribe(self, topics: Iterable[str] | None = None) -> threading.Event:
        """Woken at once by commits of ``topics`` (None: any), soon after by the others."""
        wake = self._c.notifier().subscribe(list(topics) if topics is not None else None)
        self._wakes.append(wake)
        return wake

    def _contact_center(self, wake: threading.Event) -> Work:
        from entrypoints.contact_center_runtime import ContactCenterLoop

        loop = ContactCenterLoop(self._c.contact_center.dispatcher(),
                                 self._c.contact_center.timers(), self._c.consistency(),
                                 self._c.worker_pool(),
                                 interval=self._c.settings().contact_center_interval)
        return lambda still_claimed: loop.run(self._stop, wake, still_claimed)

    def _webhook_delivery(self) -> Work:
        """Send due webhook deliveries while the claim is held (ADR 0068)."""
        dispatcher = self._c.webhooks.dispatcher()
        return lambda still_claimed: dispatcher.run(self._stop, still_claimed)

    def _periodically(self, job: Callable[[], object], interval: float) -> Work:
        """Run ``job`` every ``interval`` seconds while the claim is held; a failure is
        logged and the job runs again at the next interval. Between runs the claim is checked
        every few seconds, so it can be given back without waiting out a long interval."""
        def work(still_claimed: Callable[[], bool]) -> None:
            while not self._stop.is_set() and still_claimed():
                try:
                    job()
                except Exception:
                    log.exception("%s failed", threading.current_thread().name)
                due = time.monotonic() + interval
                while (left := due - time.monotonic()) > 0 and still_claimed():
                    if self._stop.wait(min(left, CHECK_EVERY)):
                        return

        return work

    def _tenant_retention(self) -> None:
        """Every tenant's retention policy (ADR 0086), each run reported per tenant."""
        for report in self._c.privacy.tenant_retention().run(store_empty=False):
            if report.found_anything:
                log.info("retention policy of tenant %s: %d contacts erased, %d message "
                         "bodies deleted, %d failed", report.tenant_id, report.contacts_erased,
                         report.message_bodies_deleted, report.failures)

    def _stale_leads(self) -> None:
        scheduled = self._c.leads.stale_lead_policy().run_once()
        if scheduled:
            log.info("stale-lead policy scheduled %d follow-ups", scheduled)

"""A process that only writes (`serve` with projections in a separate `frontdesk worker`)
still wakes the worker's runners after its commits, through NOTIFY on its own connection;
the NOTIFY names the committed topics, so only the runners that read them are woken."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from adapters.projections.notify import CommitNotifier, NotificationListener
from adapters.projections.runner import topics_of


def test_a_process_without_runtime_wakes_other_processes_after_commits(owner_url: str,
                                                                        container: Any) -> None:
    from dependency_injector import providers

    from application.contacts import RegisterContact
    from application.ports import CommandContext
    from entrypoints.container import Container
    from entrypoints.settings import Settings

    writer = Container()  # a fresh composition root: nothing started, as in a web worker
    writer.settings.override(providers.Object(Settings(DATABASE_URL=owner_url)))
    writer.database()
    local = CommitNotifier(None)  # the listening process's runners
    contacts = next(p for p in container.projections() if p.name == "contacts")
    wake = local.subscribe(topics_of(contacts))
    unrelated = local.subscribe(["tests.nothing:Nothing"])
    listener = NotificationListener(container.database().worker_url, local.wake_local)
    listening = threading.Thread(target=listener.run, daemon=True)
    listening.start()
    own = threading.Event()  # the writer's own listener skips the writer's NOTIFYs
    own_listener = NotificationListener(container.database().worker_url,
                                        lambda topics: own.set(),
                                        origin=writer.notifier().origin)
    threading.Thread(target=own_listener.run, daemon=True).start()
    try:
        # LISTEN takes effect once the listener has connected; give it time, then clear
        # whatever other tests of this session woke it for.
        threading.Event().wait(1.0)
        wake.clear()
        unrelated.clear()
        own.clear()
        writer.bus().execute(RegisterContact(
            name="Noti Fied", email=f"n{uuid.uuid4().hex[:8]}@notify.example", phone=None),
            CommandContext(uuid.uuid4(), "test"))
        assert wake.wait(5.0), "the worker was not woken by the commit"
        assert not unrelated.is_set(), "a runner of other topics was woken at once"
        threading.Event().wait(0.5)
        assert not own.is_set(), "a process was woken by its own NOTIFY"
    finally:
        listener.stop()
        own_listener.stop()
        listening.join(timeout=5)
        writer.notifier().stop()
        writer.datastore().close()


def test_a_notify_names_the_committed_topics_and_wakes_only_their_readers() -> None:
    from adapters.projections.notify import LAGGING, read_payload

    local = CommitNotifier(None)
    leads, cases = local.subscribe(["a:Lead"]), local.subscribe(["b:Case"])
    anything = local.subscribe(None)
    local.wake_local(read_payload("p1|a:Lead,c:Other")[1])
    assert leads.is_set() and anything.is_set() and not cases.is_set()
    leads.clear()
    threading.Event().wait(LAGGING * 1.5)
    local.wake_local(read_payload("p1|a:Lead")[1])  # later commits move the others along
    assert cases.is_set()
    cases.clear()
    local.wake_local(read_payload("p1|")[1])  # an unnamed commit wakes every runner
    assert leads.is_set() and cases.is_set()



def test_a_notify_carries_what_was_committed_since_the_last_and_nothing_goes_out_empty() -> None:
    from adapters.projections.notify import read_payload

    notifier = CommitNotifier(None)  # no thread: payloads are taken by hand
    notifier("1", frozenset({"a:Lead"}))
    notifier("2", frozenset({"b:Case"}))
    first = notifier.next_payload()
    assert first is not None
    assert read_payload(first) == (notifier.origin, frozenset({"a:Lead", "b:Case"}))
    # A commit whose topics went out with that NOTIFY left its wake-up pending: nothing more
    # is sent, rather than an unnamed NOTIFY that would wake every runner elsewhere.
    assert notifier.next_payload() is None
    notifier("3", None)  # a commit of unknown topics is sent unnamed: wake everything
    unnamed = notifier.next_payload()
    assert unnamed is not None and read_payload(unnamed) == (notifier.origin, None)

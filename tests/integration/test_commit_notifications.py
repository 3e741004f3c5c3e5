"""A process that only writes (`serve` with projections in a separate `frontdesk worker`)
still wakes the worker's runners after its commits, through NOTIFY on its own connection."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from adapters.projections.notify import NotificationListener


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
    wake = threading.Event()
    listener = NotificationListener(container.database().worker_url, lambda: [wake])
    listening = threading.Thread(target=listener.run, daemon=True)
    listening.start()
    try:
        # LISTEN takes effect once the listener has connected; give it time, then clear
        # whatever other tests of this session woke it for.
        threading.Event().wait(1.0)
        wake.clear()
        writer.bus().execute(writer.register_contact(), RegisterContact(
            name="Noti Fied", email=f"n{uuid.uuid4().hex[:8]}@notify.example", phone=None),
            CommandContext(uuid.uuid4(), "test"))
        assert wake.wait(5.0), "the worker was not woken by the commit"
    finally:
        listener.stop()
        listening.join(timeout=5)
        writer.notifier().stop()
        writer.datastore().close()

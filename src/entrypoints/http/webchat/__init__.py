"""The web chat widget (ADR 0084): admins' widget keys, and the public widget a tenant embeds
on its website, where a visitor chats without staff credentials."""

from __future__ import annotations

from pathlib import Path

from entrypoints.container import Container
from entrypoints.http.problems import problem
from entrypoints.http.slices import Slice
from entrypoints.http.webchat.keys import WidgetKeysController
from entrypoints.http.webchat.widget import (
    BadVisitorToken,
    OriginRefused,
    Widget,
    WidgetController,
)


def _provide(root: Container) -> dict[str, object]:
    settings, conversations = root.settings(), root.conversations
    return {"widget_keys": root.identity.widget_keys(),
            "widget": Widget(root.identity.widget_keys(), root.identity.visitor_tokens(),
                             conversations.queries(), conversations.assistant(),
                             conversations.replies(), root.streams.hub(),
                             root.streams.answers(), settings.public_url,
                             settings.streams_heartbeat)}


def _stop(root: Container) -> None:
    root.streams.answers().stop()


SLICE = Slice(
    "webchat", [WidgetKeysController, WidgetController], provide=_provide, stop=_stop,
    templates=Path(__file__).parent / "templates",
    problems={OriginRefused: lambda _, refused: problem(403, "origin-not-allowed",
                                                         str(refused)),
              BadVisitorToken: lambda _, bad: problem(403, "bad-visitor-token", str(bad))})

__all__ = ["SLICE"]

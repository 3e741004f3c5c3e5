"""Every command of every context has exactly one handler in the composed bus (ADR 0066)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import application

CONTEXTS_WITHOUT_THE_BUS = {"identity"}  # plain records (tenants, users), not event-sourced


def commands() -> set[type]:
    found: set[type] = set()
    for info in pkgutil.iter_modules(application.__path__):
        if not info.ispkg or info.name in CONTEXTS_WITHOUT_THE_BUS:
            continue
        try:
            module = importlib.import_module(f"application.{info.name}.commands")
        except ModuleNotFoundError:
            continue
        classes = {cls for _, cls in inspect.getmembers(module, inspect.isclass)
                   if dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__}
        # A dataclass another command holds (a quote line, a queue's fields) is a part.
        parts = {cls for cls in classes for other in classes
                 if any(cls.__name__ in str(f.type) for f in dataclasses.fields(other))}
        found |= classes - parts
    return found


def test_every_command_has_its_one_handler_in_the_bus(container: Any) -> None:
    declared = commands()
    registered = set(container.bus().handlers)
    assert len(declared) > 40
    assert declared - registered == set()
    assert all(callable(handler) for handler in container.bus().handlers.values())

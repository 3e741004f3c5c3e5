"""The layer rules are checked by tools: import-linter in `make lint`, and this test, which
also pins what import-linter cannot express (only `eventsourcing.domain` from eventsourcing)."""

import ast
import importlib
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
STDLIB = set(sys.stdlib_module_names)


def _imports(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in (SRC / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


@pytest.mark.parametrize("package", ["domain", "application", "adapters", "entrypoints"])
def test_each_layer_resolves_under_src(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(SRC), module.__file__


def test_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    offending = [(str(path.relative_to(SRC)), name) for path, name in _imports("domain")
                 if name.split(".")[0] not in STDLIB | {"domain", "__future__"}
                 and name != "eventsourcing.domain"]
    assert offending == []


def test_application_depends_only_on_domain_and_ports() -> None:
    allowed = STDLIB | {"domain", "application", "__future__"}
    offending = [(str(path.relative_to(SRC)), name) for path, name in _imports("application")
                 if name.split(".")[0] not in allowed and name != "eventsourcing.domain"]
    assert offending == []

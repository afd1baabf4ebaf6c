"""Domain dataclasses as plain JSON values and back, driven by their type hints (one mapping for
storage and for the API, so a field added to the domain is carried without being named again).

The register stores the case as one JSON document beside the few attributes DynamoDB must see (keys,
index keys, version); the API builds its service inputs and its views from the same plain form.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def to_plain(value: Any, *, defaults: bool = True) -> Any:
    """JSON-ready: dates as ISO strings, decimals as strings (money is never a float), no `None` fields.

    `defaults=False` also leaves out every dataclass field that holds its default (`from_plain` puts
    the default back): the register stores the case that way, as small as it can be.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {
            f.name: getattr(value, f.name)
            for f in dataclasses.fields(value)
            if defaults or not _at_default(f, getattr(value, f.name))
        }
    if isinstance(value, dict):
        return {str(k): to_plain(v, defaults=defaults) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple, frozenset, set)):
        return [to_plain(v, defaults=defaults) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, Decimal)):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


#: How a JSON scalar becomes the domain's type (exact types: a datetime is not read as a date).
_SCALARS: dict[Any, Callable[[Any], Any]] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    Decimal: Decimal,
    int: int,
    str: str,
    bool: bool,
}


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_plain(tp: Any, value: Any) -> Any:
    """The value of type `tp` that `to_plain` turned into `value`."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return from_plain(inner[0], value) if len(inner) == 1 else value
    if origin in (tuple, list, frozenset):
        return origin(from_plain(typing.get_args(tp)[0], v) for v in value)
    if origin is dict:
        return {k: from_plain(typing.get_args(tp)[1], v) for k, v in value.items()}
    return _leaf(tp, value)


def _at_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _leaf(tp: Any, value: Any) -> Any:
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        return tp(
            **{
                f.name: from_plain(hints[f.name], value.get(f.name))
                for f in dataclasses.fields(tp)
                if f.name in value or _required(f)  # a required field stored as None was left out
            }
        )
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    convert = _SCALARS.get(tp)
    return convert(value) if convert else value

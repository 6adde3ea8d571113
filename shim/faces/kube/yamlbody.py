"""Server-side apply bodies in YAML, held to what a JSON body may be.

No anchors or aliases: an alias makes a small text a huge document (a few hundred
bytes, eight levels of ten, is 10^8 values once anything walks it), and kubectl
sends JSON anyway. Nesting is limited as JSON's is (`http.MAX_DEPTH`). Both are checked
on the event stream before anything is composed. Timestamps stay strings (as Kubernetes'
YAML-to-JSON conversion keeps them), and what JSON cannot hold (non-string keys,
binary, sets) is refused.
"""

from __future__ import annotations

from typing import Any

import yaml

from shim.errors import ApiError
from shim.faces.http import MAX_DEPTH


class _Refused(yaml.YAMLError):
    pass


# libyaml (in PyYAML's wheels) when present: pure-Python PyYAML reads about 50 KB a second
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _JsonLikeLoader(_Base):  # type: ignore[misc, valid-type]
    pass


_JsonLikeLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                yaml.SafeLoader.construct_yaml_str)


def _check_events(text: str) -> None:
    """Refuse anchors, aliases and deep nesting from the event stream, before anything is
    composed (the scanner stops at the first refusal)."""
    depth = 0
    for event in yaml.parse(text, Loader=_JsonLikeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused("anchors and aliases are not accepted: write the values out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"the body is nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def parse_yaml(raw: bytes) -> Any:
    """The document of `raw`, JSON-like, or a 400 saying what was refused."""
    try:
        text = raw.decode("utf-8")
        _check_events(text)
        return _json_like(yaml.load(text, Loader=_JsonLikeLoader))
    except _Refused as exc:
        raise _bad(str(exc)) from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: an integer beyond Python's digit limit
        raise _bad(f"the body is not valid YAML: {' '.join(str(exc).split())[:200]}") from None


def _json_like(value: Any) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Refused(f"a key is not a string: {str(key)[:80]}")
            _json_like(item)
    elif isinstance(value, list):
        for item in value:
            _json_like(item)
    elif not isinstance(value, (str, int, float, bool)) and value is not None:
        raise _Refused(f"a value of type {type(value).__name__} has no JSON form")
    return value


def _bad(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)

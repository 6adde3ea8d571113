"""What every handler shares: JSON bodies, the clock, the caller."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import orjson
from aiohttp import web

from shim.core.principal import Principal
from shim.errors import ApiError, forbidden, not_found, unauthorized
from shim.keys import CLOCK, CORE, JSON_BODY, PRINCIPAL, REPLAYABLE, SCHEMAS, Core, Replayable
from shim.store.base import Token
from shim.settings_catalog import SETTINGS

MAX_DEPTH = 32


def core(request: web.Request) -> Core:
    return request.app[CORE]


def now(request: web.Request) -> int:
    return request.app[CLOCK]()


def credential(request: web.Request) -> str | None:
    """`<id>:<secret>` from Bearer, Basic or the R_SESS cookie; the header wins."""
    header = request.headers.get("Authorization")
    if header is None:
        return request.cookies.get("R_SESS")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def replayable(request: web.Request, shown: Token, now: int) -> None:
    """The answer about to go out, about `shown`, may be repeated to the same request
    (shim.replay) for as long as nothing it was built from changes."""
    caller = principal(request)
    until = core(request).auth.steady_until(caller.token, shown, now)
    if until > now:
        request[REPLAYABLE] = Replayable(until, caller, shown)


def principal(request: web.Request) -> Principal:
    found = request.get(PRINCIPAL)
    if found is None:
        raise unauthorized()
    return found


async def session_alive(request: web.Request, token_id: str) -> bool:
    """The token a long-lived answer (a websocket, a watch) was opened with still lives."""
    token = await core(request).store.get_token(token_id)
    return token is not None and core(request).auth.alive(token, now(request))


def setting_name(request: web.Request) -> str:
    """The `{name}` of the path when it is one of the token settings, else 404."""
    name = request.match_info["name"]
    if name not in SETTINGS:
        raise not_found(f"{name} not found")
    return name


def require_admin(request: web.Request, what: str) -> Principal:
    actor = principal(request)
    if not actor.is_admin:
        raise forbidden(f"only an admin may {what}")
    return actor


async def read_json(request: web.Request, schema: str) -> dict[str, Any]:
    """Parse the body strictly, then validate it against schemas/<schema>.json."""
    ctype = request.content_type
    if request.body_exists and ctype not in ("application/json", "application/octet-stream", ""):
        raise ApiError(415, "UnsupportedMediaType",
                       f"Content-Type {ctype} is not supported: send application/json")
    try:
        raw = await request.read()
    except web.RequestPayloadError as exc:  # e.g. a Content-Encoding the body does not match
        raise ApiError(400, "BadRequest", f"the body could not be read: {exc}") from None
    body = parse_json(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ApiError(422, "InvalidFormat", "the body must be a JSON object")
    request.app[SCHEMAS].validate(schema, body)
    return whole_numbers(body)


def whole_numbers(value: Any) -> Any:
    """Integral floats (`3e4`, `30000.0`) as ints, in place: integers in, integers out.

    JSON has one number type, and the schemas' `integer` admits 30000.0; a fraction
    has already been refused where an integer is meant. Beyond 64 bits a float stays.
    """
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (float, dict, list)):
                value[key] = whole_numbers(item)
    elif isinstance(value, list):
        value[:] = [whole_numbers(item) for item in value]
    return value


def parse_json(raw: bytes) -> Any:
    try:
        # UTF-8 only (a leading BOM is tolerated): json.loads(bytes) would also take UTF-16/32
        value = _DECODER.decode(raw.decode("utf-8-sig"))
    except RecursionError:
        raise ApiError(422, "InvalidFormat", "the body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(422, "InvalidFormat", f"the body is not valid JSON: {exc}") from None
    try:
        depth = _depth(value)
    except UnicodeEncodeError:  # "\ud800" is valid JSON but not Unicode: no store could keep it
        raise ApiError(422, "InvalidFormat",
                       "the body holds an unpaired UTF-16 surrogate") from None
    if depth > MAX_DEPTH:
        raise ApiError(422, "InvalidFormat", f"the body is nested deeper than {MAX_DEPTH} levels")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"duplicate key {duplicate!r}")
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def _depth(value: Any, level: int = 0) -> int:
    """How deeply `value` nests; raises UnicodeEncodeError on an unpaired surrogate."""
    if isinstance(value, str):
        if not value.isascii():
            value.encode("utf-8")
        return level
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        deepest = level + 1
        for key, item in value.items():
            _depth(key)
            deepest = max(deepest, _depth(item, level + 1))
        return deepest
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON ending in a newline, as Rancher's and Kubernetes' Go encoders write it (so that
    answers shown by curl do not run into the prompt or each other)."""
    return _respond(_dumps(body, newline=True), body, status, headers)


def respond_exact(body: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    """JSON without a newline: the Terraform face, whose bodies the restapi provider keeps
    byte for byte in the state (`create_response`, `api_response`)."""
    return _respond(_dumps(body), body, status, headers)


def _respond(raw: bytes, body: Any, status: int, headers: dict[str, str] | None) -> web.Response:
    response = respond_json(raw, status, headers)
    response[JSON_BODY] = body  # the audit picks fields from it instead of parsing the bytes
    return response


def _dumps(body: Any, newline: bool = False) -> bytes:
    try:
        return orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE if newline else None)
    except TypeError:  # a stored value JSON cannot hold (a surrogate, a non-string key):
        # the write may be committed already, so its answer must still go out
        return json.dumps(body, default=str).encode() + (b"\n" if newline else b"")


def check_tree(value: Any) -> Any:
    """`value` if JSON could carry it as parsed (string keys, JSON types, Unicode text,
    no deeper than MAX_DEPTH), else 422: for bodies not parsed as JSON (YAML)."""
    if not _json_like(value, 0):
        raise ApiError(422, "InvalidFormat", "the body holds a value JSON cannot carry (a "
                       "non-string key, a date, binary data) or nests too deeply")
    try:
        _depth(value)
    except UnicodeEncodeError:
        raise ApiError(422, "InvalidFormat",
                       "the body holds an unpaired UTF-16 surrogate") from None
    return value


def _json_like(value: Any, level: int) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if level > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v, level + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_like(v, level + 1) for v in value)
    return False


def respond_json(body: bytes, status: int = 200,
                 headers: dict[str, str] | None = None) -> web.Response:
    """A response of JSON already serialized."""
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)


def etag(version: int) -> dict[str, str]:
    """The ETag header of a resource at `version` (tokens, settings)."""
    return {"ETag": f'"{version}"'}


def if_match(request: web.Request) -> int | None:
    """The version an If-Match header names; None without one or for `*`.

    One tag is understood, weak or strong (a compressing proxy may weaken it);
    anything else can match no version: 412.
    """
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    tag = raw.strip().removeprefix("W/")
    version = tag[1:-1]  # ASCII digits that fit a 64-bit column ("²".isdigit() is true)
    if tag[:1] == tag[-1:] == '"' and version.isascii() and version.isdigit() and len(version) <= 18:
        return int(version)
    raise ApiError(412, "PreconditionFailed",
                   f"If-Match {raw} matches no version: send the one ETag of a GET")


def expected(request: web.Request, name: str) -> dict[str, int] | None:
    """{name: the If-Match version}, for a settings write; None without If-Match."""
    version = if_match(request)
    return None if version is None else {name: version}

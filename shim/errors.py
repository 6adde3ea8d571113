"""The error family and the one place that renders an error body per face."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

SHOWN = 80  # characters of a value that an error message quotes


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    reason: str = field(default="", compare=False)  # why, for metrics and logs; never rendered
    subject: dict[str, str] = field(default_factory=dict, compare=False)  # kube Status details

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


MUST_AUTHENTICATE = "must authenticate"


def unauthorized(reason: str = "") -> ApiError:
    """The authentication filter's refusal (missing, unknown, expired or bad credentials)."""
    return ApiError(401, "Unauthorized", MUST_AUTHENTICATE, reason=reason)


def login_failed(reason: str = "") -> ApiError:
    """A password login that failed: Rancher's local provider says `authentication failed`."""
    return ApiError(401, "Unauthorized", "authentication failed", reason=reason)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "PermissionDenied", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NotFound", message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(message: str, details: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(422, "InvalidBodyContent", message, details or [])


def invalid_field(name: str, value: Any, rule: str, code: str = "InvalidBodyContent") -> ApiError:
    detail = {"field": name, "value": value, "rule": rule}
    return ApiError(422, code, f"{name}: {brief(value)} {rule}", [detail])


def conflict(message: str) -> ApiError:
    return ApiError(409, "Conflict", message)


def server_error() -> ApiError:
    return ApiError(500, "ServerError", "internal error; nothing was committed")


def brief(value: Any, limit: int = SHOWN) -> str:
    """`value` as JSON (strings escaped, never a raw newline), cut to about `limit`
    characters with "...". It reads no more of `value` than it prints, so an error can
    quote any instance, however large or shared its parts are."""
    return _cut(value, limit)[0]


def bounded(value: Any, limit: int = 4 * SHOWN) -> Any:
    """`value` itself when it prints within `limit`, else its `brief` form: what the
    details of an error may carry."""
    text, cut = _cut(value, limit)
    return text if cut else value


def _cut(value: Any, limit: int) -> tuple[str, bool]:
    if isinstance(value, str):
        if len(value) <= limit:
            return json.dumps(value, ensure_ascii=False), False
        return json.dumps(value[:limit - 3] + "...", ensure_ascii=False), True
    text = ""
    for piece in _pieces(value, limit):
        text += piece
        if len(text) > limit:
            return text[:limit - 3] + "...", True
    return text, False


def _pieces(value: Any, limit: int) -> Iterator[str]:
    if isinstance(value, dict):
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield ("," if n else "") + _scalar(str(key), limit) + ":"
            yield from _pieces(item, limit)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "["
        for n, item in enumerate(value):
            yield "," if n else ""
            yield from _pieces(item, limit)
        yield "]"
    else:
        yield _scalar(value, limit)


def _scalar(value: Any, limit: int) -> str:
    if isinstance(value, str):
        return json.dumps(value[:limit + 1], ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    try:
        return (str(value) if isinstance(value, (int, float)) else repr(value))[:limit + 1]
    except ValueError:  # an int beyond Python's digit limit
        return "(a number too long to print)"


RETRY_AFTER = "2"  # seconds a client waits while the database is away (a failover takes a few)


def unavailable() -> ApiError:
    """The database is away: nothing was committed, retry later (never a 500 for this)."""
    return ApiError(503, "ServiceUnavailable", "the database is unavailable; retry later",
                    headers={"Retry-After": RETRY_AFTER}, reason="store-unavailable")


def render(face: str, err: ApiError) -> dict[str, Any]:
    """The body of an error response on `face` ("v3", "terraform" or "kube"); the details
    quote values bounded (`bounded`), whatever raised the error put in them."""
    if err.details:
        err.details = [d | {"value": bounded(d["value"])} if "value" in d else d
                       for d in err.details]
    if face == "kube":
        return _kube_status(err)
    if face == "terraform":
        body: dict[str, Any] = {"status": err.status, "code": err.code, "message": err.message}
        if err.details:
            body["details"] = err.details
        return body
    return norman(err)


def norman(err: ApiError) -> dict[str, Any]:
    """Norman's error body (keys sorted, as Norman writes them), and Rancher's two 401s."""
    if err.status == 401 and err.message == MUST_AUTHENTICATE:
        # Rancher's authentication filter answers with exactly this body (status a string).
        return {"type": "error", "status": "401", "message": "Unauthorized 401: must authenticate"}
    if err.status == 401:
        # Rancher's login handler (util.APIErrorResponse): this key order, status an integer.
        return {"code": err.code, "status": 401, "message": err.message, "type": "error",
                "baseType": "error"}
    body: dict[str, Any] = {"baseType": "error", "code": err.code}
    if err.details:
        body["details"] = err.details
        body["fieldName"] = err.details[0].get("field", "")
    return body | {"message": err.message, "status": err.status, "type": "error"}


# Kubernetes StatusReasons by HTTP status, for errors raised by code shared with other faces.
_KUBE_REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
    412: "Conflict", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid",
    429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
}
_KUBE_OWN = {"AlreadyExists", "Conflict", "Invalid", "NotFound", "BadRequest", "Forbidden",
             "MethodNotAllowed", "UnsupportedMediaType", "NotAcceptable", "Unauthorized"}


def _kube_status(err: ApiError) -> dict[str, Any]:
    """A Kubernetes `Status`; an Invalid one lists its causes, which kubectl prints."""
    reason = err.code if err.code in _KUBE_OWN else _KUBE_REASONS.get(err.status, "InternalError")
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        # The API server says just "Unauthorized"; kubectl shows it to the user.
        "message": "Unauthorized" if err.status == 401 else err.message,
        "reason": reason,
        "code": err.status,
    }
    details = dict(err.subject)
    if err.details and reason == "Invalid":
        details["causes"] = [
            {"reason": "FieldValueInvalid", "field": d.get("field", ""),
             "message": f"Invalid value: {_show(d.get('value'))}: {d.get('rule', '')}"}
            for d in err.details
        ]
    if details:
        body["details"] = details
    return body


def _show(value: Any) -> str:
    return brief(value)

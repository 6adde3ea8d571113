"""The error family and the one place that renders an error body per face."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    return ApiError(422, code, f"{name}: {value!r} {rule}", [detail])


def conflict(message: str) -> ApiError:
    return ApiError(409, "Conflict", message)


def server_error() -> ApiError:
    return ApiError(500, "ServerError", "internal error; nothing was committed")


RETRY_AFTER = "2"  # seconds a client waits while the database is away (a failover takes a few)


def unavailable() -> ApiError:
    """The database is away: nothing was committed, retry later (never a 500 for this)."""
    return ApiError(503, "ServiceUnavailable", "the database is unavailable; retry later",
                    headers={"Retry-After": RETRY_AFTER}, reason="store-unavailable")


def render(face: str, err: ApiError) -> dict[str, Any]:
    """The body of an error response on `face` ("v3", "terraform" or "kube")."""
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
    return f'"{value}"' if isinstance(value, str) else repr(value)

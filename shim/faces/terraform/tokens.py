"""/terraform/v1/tokens: create, read (echo), update, delete and search."""

from __future__ import annotations

from typing import Any, Callable

import orjson
from aiohttp import web

from shim.audit import audited
from shim import policy
from shim.errors import ApiError, invalid_field, not_found
from shim.faces import http
from shim.faces.terraform.echo import dumps, echo, loads
from shim.store.base import Token, TokenQuery

SEARCH_LIMIT = 10_000


def current_values(token: Token) -> dict[str, Any]:
    """What each document key means on a token; ttl is the requested one, not clamped."""
    return {
        "description": token.description, "enabled": token.enabled, "ttl": token.ttl_requested,
        "clusterId": token.cluster_id, "userId": token.user_id, "kind": token.kind,
    }


IMPORTED_KEYS = ("description", "ttl", "enabled", "userId")


def token_echo(token: Token) -> dict[str, Any]:
    """The echo; a token never written through this face shows its main fields."""
    current = current_values(token)
    doc = loads(token.tf_doc) or {key: current[key] for key in IMPORTED_KEYS}
    return echo(doc, current)


@audited("token.create", "kind", "userId", "ttl")
async def create_token(request: web.Request) -> web.Response:
    doc = await http.read_json(request, "terraform/token")
    actor, now = http.principal(request), http.now(request)
    new = await http.core(request).tokens.create(
        actor, now, description=doc.get("description", ""), ttl=doc.get("ttl", 0),
        cluster_id=doc.get("clusterId"), user_id=doc.get("userId"),
        kind=doc.get("kind", "api"), enabled=doc.get("enabled", True), tf_doc=dumps(doc),
        check_ttl=_renewal_converges(doc),
    )
    token = new.token
    if doc.get("renew") is True:
        await _retire_predecessors(request, token)
    created = doc | {
        "id": token.id, "token": new.bearer, "ttl": token.ttl, "userId": token.user_id,
        "expiresAt": policy.rfc3339(token.expires),
    }
    return http.respond_exact(created, status=201)


_ECHO_JSON: dict[str, tuple[Token, bytes, bool, int]] = {}  # id -> (row, JSON, renew, before)
_ECHO_JSON_MAX = 4096


def echo_json(token: Token) -> tuple[bytes, bool, int]:
    """`token_echo(token)` as JSON bytes, with the document's `renew` and `renewBefore`;
    kept per row object, as shim.faces.v3.render.token_json: the echo depends on the row
    alone, and a changed row is a new object, rendered afresh."""
    kept = _ECHO_JSON.get(token.id)
    if kept is not None and kept[0] is token:
        return kept[1:]
    doc = loads(token.tf_doc) or {}
    found = (orjson.dumps(token_echo(token)), doc.get("renew") is True,
             doc.get("renewBefore", 0))
    if len(_ECHO_JSON) >= _ECHO_JSON_MAX:
        _ECHO_JSON.clear()
    _ECHO_JSON[token.id] = (token, *found)
    return found


async def get_token(request: web.Request) -> web.Response:
    token = await http.core(request).tokens.get(http.principal(request), request.match_info["id"])
    body, renew, before = echo_json(token)
    now = http.now(request)
    reason = (policy.renewal_reason(token.enabled, token.created, token.ttl, before, now)
              if renew else None)
    if reason is None:
        if not renew:  # with a renewal window, time alone changes the answer: not replayed
            http.replayable(request, token, now)
        return http.respond_json(body, headers=http.etag(token.version))
    doc = token_echo(token)
    if request.query.get("renewal") == "field":
        # differs from `true`: force_new replaces it
        return http.respond_exact(doc | {"renew": reason}, headers=http.etag(token.version))
    raise not_found(f"token {token.id} is due for renewal ({reason})")


def _renewal_converges(doc: dict[str, Any]) -> Callable[[int], None]:
    """A check of the effective ttl: a renewal window as long as it is refused (422)."""

    def check(effective_ttl: int) -> None:
        renew_before = doc.get("renewBefore", 0)
        problem = policy.renew_before_problem(effective_ttl, renew_before)
        if doc.get("renew") is True and problem:
            raise invalid_field("renewBefore", renew_before, problem)

    return check


def renewal_reason(token: Token, now: int) -> str | None:
    doc = loads(token.tf_doc) or {}
    if doc.get("renew") is not True:
        return None
    return policy.renewal_reason(token.enabled, token.created, token.ttl,
                                 doc.get("renewBefore", 0), now)


@audited("token.update", "enabled", "ttl")
async def update_token(request: web.Request) -> web.Response:
    doc = await http.read_json(request, "terraform/token")
    actor, now = http.principal(request), http.now(request)
    try:
        token = await http.core(request).tokens.update(
            actor, request.match_info["id"], doc, now, tf_doc=dumps(doc),
            expected_version=http.if_match(request), check_ttl=_renewal_converges(doc),
        )
    except ApiError as err:
        raise _with_force_new_hint(err) from None
    return http.respond_exact(token_echo(token), headers=http.etag(token.version))


@audited("token.delete")
async def delete_token(request: web.Request) -> web.Response:
    actor = http.principal(request)
    try:
        await http.core(request).tokens.delete(
            actor, request.match_info["id"], expected_version=http.if_match(request)
        )
    except ApiError as err:
        if err.status != 404:
            raise
    return http.no_content()


async def search_tokens(request: web.Request) -> web.Response:
    """`{"data": [...]}` of every match, for restapi's read_search (no pagination)."""
    q = request.query
    query = TokenQuery(
        now=http.now(request), description=q.get("description"), user_id=q.get("userId"),
        cluster_id=q.get("clusterId"), kind=q.get("kind"), limit=SEARCH_LIMIT,
    )
    found = await http.core(request).tokens.list(http.principal(request), query)
    return http.respond_exact({"data": [token_echo(t) | {"id": t.id} for t in found]})


async def _retire_predecessors(request: web.Request, token: Token) -> None:
    """Delete the owner's tokens that this one renews: same document, renewal due.

    restapi v1/v2 drop a token from state on a 404 and create a new one without
    deleting the old; this is where the old one goes.
    """
    core, now = http.core(request), http.now(request)
    query = TokenQuery(now=now, user_id=token.user_id, description=token.description,
                       kind=token.kind, limit=SEARCH_LIMIT)
    for old in await core.store.list_tokens(query):
        if old.id != token.id and old.tf_doc == token.tf_doc and renewal_reason(old, now):
            await core.store.delete_token(old.id)


def _with_force_new_hint(err: ApiError) -> ApiError:
    if err.status == 422 and err.details and err.details[0].get("rule") == "is immutable":
        field = err.details[0]["field"]
        err.message += (
            "; to replace the token instead, add it to the restapi_object's force_new"
            f" (v1/v2: force_new = [<its value>], v3: force_new = [\"{field}\"])"
        )
    return err

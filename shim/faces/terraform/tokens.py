"""/terraform/v1/tokens: create, read (echo), update, delete and search."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shim import policy
from shim.errors import ApiError
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


async def create_token(request: web.Request) -> web.Response:
    doc = await http.read_json(request, "terraform/token")
    actor, now = http.principal(request), http.now(request)
    new = await http.core(request).tokens.create(
        actor, now, description=doc.get("description", ""), ttl=doc.get("ttl", 0),
        cluster_id=doc.get("clusterId"), user_id=doc.get("userId"),
        kind=doc.get("kind", "api"), enabled=doc.get("enabled", True), tf_doc=dumps(doc),
    )
    token = new.token
    created = doc | {
        "id": token.id, "token": new.bearer, "ttl": token.ttl, "userId": token.user_id,
        "expiresAt": policy.rfc3339(token.expires),
    }
    return http.respond(created, status=201)


async def get_token(request: web.Request) -> web.Response:
    token = await http.core(request).tokens.get(http.principal(request), request.match_info["id"])
    return http.respond(token_echo(token))


async def update_token(request: web.Request) -> web.Response:
    doc = await http.read_json(request, "terraform/token")
    actor, now = http.principal(request), http.now(request)
    try:
        token = await http.core(request).tokens.update(
            actor, request.match_info["id"], doc, now, tf_doc=dumps(doc)
        )
    except ApiError as err:
        raise _with_force_new_hint(err) from None
    return http.respond(token_echo(token))


async def delete_token(request: web.Request) -> web.Response:
    actor = http.principal(request)
    try:
        await http.core(request).tokens.delete(actor, request.match_info["id"])
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
    return http.respond({"data": [token_echo(t) | {"id": t.id} for t in found]})


def _with_force_new_hint(err: ApiError) -> ApiError:
    if err.status == 422 and err.details and err.details[0].get("rule") == "is immutable":
        field = err.details[0]["field"]
        err.message += (
            "; to replace the token instead, add it to the restapi_object's force_new"
            f" (v1/v2: force_new = [<its value>], v3: force_new = [\"{field}\"])"
        )
    return err

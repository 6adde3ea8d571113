"""/v3-public and /v1-public (Rancher 2.14+): the local auth provider, password login and
logout. Both login doors go through `password_login` (throttle, audit, metrics, disabled
users; a user who must change their password still gets a session, as in Rancher)."""

from __future__ import annotations

from aiohttp import web

from shim import origin
from shim.audit import audit, audit_unavailable
from shim.core.tokens import NewToken
from shim.errors import ApiError
from shim.faces import http
from shim.faces.v3 import render
from shim.keys import PRINCIPAL
from shim.throttle import password_attempt


def _provider(request: web.Request) -> dict:
    base = render.base_url(request)
    return {
        "id": "local",
        "name": "local",
        "type": "localProvider",
        "baseType": "authProvider",
        "actions": {"login": f"{base}/v3-public/localProviders/local?action=login"},
        "links": {"self": f"{base}/v3-public/localProviders/local"},
    }


async def list_providers(request: web.Request) -> web.Response:
    return http.respond(render.collection(request, "authProvider", [_provider(request)]))


async def get_provider(request: web.Request) -> web.Response:
    return http.respond(_provider(request))


async def login(request: web.Request) -> web.Response:
    if request.query.get("action") != "login":
        raise ApiError(404, "ActionNotAvailable", "only the login action is available")
    body = await http.read_json(request, "public/login")
    new = await password_login(
        request, body["username"], body["password"], description=body.get("description", ""),
        ttl=int(body.get("ttl", 0)), response_type=body.get("responseType", ""),
    )
    shown = render.token(request, new.token, http.now(request)) | {"token": new.bearer}
    response = http.respond(shown, status=201)
    if body.get("responseType") == "cookie":
        response.set_cookie("R_SESS", new.bearer, path="/", httponly=True,
                            secure=origin.secure(request), samesite="Lax")
    return response


async def login_v1(request: web.Request) -> web.Response:
    """`responseType: cookie` (the dashboard): R_SESS and no body; else 201 with the token."""
    body = await http.read_json(request, "public/v1-login")
    response_type = body.get("responseType", "")
    new = await password_login(
        request, body["username"], body["password"], description=body.get("description", ""),
        ttl=int(body.get("ttl", 0)),
        response_type="" if response_type == "cookie" else response_type,
    )
    if response_type == "cookie":
        response = web.Response(status=200)
        response.set_cookie("R_SESS", new.bearer, path="/", httponly=True,
                            secure=request.secure, samesite="Lax")
        return response
    return http.respond({"id": new.token.id, "type": "token", "baseType": "token",
                         "token": new.bearer,
                         "expiresAt": render.token(request, new.token, http.now(request))[
                             "expiresAt"]}, status=201)


async def logout(request: web.Request) -> web.Response:
    """POST /v1/logout (`?all`: every session of the caller). It ends sessions only: an
    API key that calls it is not deleted. Without a live session it still clears the
    cookies, so a browser holding a dead one can always log out."""
    actor = request.get(PRINCIPAL)
    if actor is not None:
        tokens = http.core(request).tokens
        if "all" in request.query:
            await tokens.logout_all(actor)
        elif actor.token.kind == "session":
            await tokens.logout(actor)
        audit(request, "token.logout", actor.token.id, "success", all="all" in request.query)
    response = web.Response(status=200)
    for cookie in ("R_SESS", "CSRF", "R_OIDC_ID"):
        response.del_cookie(cookie, path="/")
    return response


async def password_login(request: web.Request, username: str, password: str, *,
                         description: str = "", ttl: int = 0, response_type: str = "") -> NewToken:
    """Check a password under the login throttle, then make the session; audited either
    way. The v3 login action and the browser's login form both log in through here."""
    core, now = http.core(request), http.now(request)
    try:
        async with password_attempt(request, username):
            user = await core.users.check_password(username, password)
    except ApiError as err:
        audit(request, "login", None, "failure", username=username, status=err.status,
              reason=err.reason or err.code)
        raise
    except Exception as exc:
        audit_unavailable(request, "login", None, exc, username=username)
        raise
    new = await core.tokens.create_session(user.id, now, description=description, ttl=ttl,
                                           response_type=response_type)
    audit(request, "login", user.id, "success", username=user.username, tokenId=new.token.id,
          kind=new.token.kind)
    return new

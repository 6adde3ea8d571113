"""`POST /v1/authenticate`: TokenReviews for a kube-apiserver's token webhook
(`--authentication-token-webhook-config-file`), as Rancher's kube-api-auth answers them.

The reviewed token is judged by every rule a token has on any face (expiry, idle,
disabled token or user, mustChangePassword, hashing, `ext/` tokens) and by cluster
scope: the review is for one cluster, `?cluster=<id>` or the first configured, and a
token scoped to another cluster is refused. A refusal is `authenticated: false` with
HTTP 200 (the webhook's answer, not an error of the call); why is in the audit log
and the `token_shim_auth_failures` metric, never in the answer.

Failed reviews are throttled per reviewed token id and per caller address, like
failed logins. A caller that proved itself a reviewer (`review_access` admin or
client-cert: a kube-apiserver) is not throttled as an address: behind it are all the
cluster's users, and one of them must not lock the others out.
"""

from __future__ import annotations

from aiohttp import web

from shim.audit import audit
from shim.client_certs import CLIENT_CERTS, TOKEN_EXTRA
from shim.core.principal import Principal
from shim.errors import ApiError, unauthorized
from shim.faces import http
from shim.faces.kube import errors
from shim.faces.kube.rest import read_body
from shim.keys import CONFIG, SCHEMAS
from shim.metrics import METRICS
from shim.throttle import THROTTLE, Reservation, client_address

SCHEMA = "kube/token-review"
USERS_GROUP = "token-shim:users"
ADMINS_GROUP = "token-shim:admins"


async def authenticate(request: web.Request) -> web.Response:
    trusted = await _check_caller(request)
    body = await read_body(request, ("application/json",))
    try:
        request.app[SCHEMAS].validate(SCHEMA, body)
    except ApiError as err:
        raise errors.bad_request(f"TokenReview cannot be handled: {err.message}") from None
    cluster = _cluster(request)
    spec = body["spec"]
    status = await _review(request, spec["token"], cluster, trusted)
    if status.get("authenticated") and spec.get("audiences"):
        status["audiences"] = spec["audiences"]  # valid for whichever API server asks
    return http.respond({"apiVersion": body["apiVersion"], "kind": "TokenReview",
                         "metadata": {"creationTimestamp": None}, "spec": spec,
                         "status": status})


def user_info(actor: Principal) -> dict:
    """Who the cluster sees: the user id as username, as Rancher's kube-api-auth answers."""
    groups = [USERS_GROUP] + ([ADMINS_GROUP] if actor.is_admin else [])
    return {"username": actor.user.id, "uid": actor.user.id, "groups": groups,
            "extra": {TOKEN_EXTRA: [actor.token.id], "username": [actor.user.username]}}


async def _review(request: web.Request, token: str, cluster: str, trusted: bool) -> dict:
    token_id = token.partition(":")[0].removeprefix("ext/")[:64] or "-"
    throttle, now = request.app[THROTTLE], http.now(request)
    address = f"review:{token_id}" if trusted else client_address(request)
    reserved = await throttle.reserve(f"review:{token_id}", address, now, exempt_known=False)
    if not isinstance(reserved, Reservation):
        _refused(request, token_id, cluster, "throttled")
        return {"authenticated": False,
                "error": f"too many failed reviews of this token; retry in {reserved} seconds"}
    outcome = "void"
    try:
        actor = await http.core(request).auth.review(token, cluster, now)
        outcome = "succeeded"
    except ApiError as err:
        if err.status != 401:
            raise
        outcome = "failed"
        _refused(request, token_id, cluster, err.reason or "refused")
        return {"authenticated": False}
    finally:
        await throttle.settle(reserved, outcome)
    audit(request, "token.review", actor.token.id, "success", face="kube", cluster=cluster,
          user=actor.user.id)
    return {"authenticated": True, "user": user_info(actor)}


def _refused(request: web.Request, token_id: str, cluster: str, reason: str) -> None:
    request.app[METRICS].auth_failures.labels(reason).inc()
    audit(request, "token.review", token_id, "failure", face="kube", cluster=cluster,
          reason=reason)


def _cluster(request: web.Request) -> str:
    clusters = request.app[CONFIG].clusters
    cluster = request.query.get("cluster") or clusters[0]
    if cluster not in clusters:
        raise errors.bad_request(f'cluster "{cluster}" is not configured (clusters: '
                                 f'{", ".join(clusters)})')
    return cluster


async def _check_caller(request: web.Request) -> bool:
    """Whether the caller proved itself (review_access admin or client-cert); 401/403
    when the option asks for a proof that is missing."""
    access = request.app[CONFIG].review_access
    if access == "anyone":
        return False
    if access == "client-cert":
        if not request.app[CLIENT_CERTS].reviewer(request):
            raise unauthorized("no reviewer certificate")
        return True
    core = http.core(request)
    caller = await core.auth.authenticate(http.credential(request), request.path, http.now(request))
    if not caller.is_admin:
        raise ApiError(403, "Forbidden", "only an admin's token may post TokenReviews "
                       "(review_access admin)")
    return True

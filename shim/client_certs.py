"""Who a TLS client certificate says the caller is: a kube-apiserver acting as front
proxy for the aggregated API (its `--proxy-client-cert-file`, issued by
`requestheader_client_ca`), or a reviewer allowed to post TokenReviews (issued by
`review_client_ca`).

The handshake verified the certificate against every loaded CA; here we check which
CA issued it, so a reviewer's certificate can never assert `X-Remote-User`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import web
from cryptography import x509

from shim import tls
from shim.config import Config
from shim.errors import unauthorized

USER_HEADER = "X-Remote-User"
GROUP_HEADER = "X-Remote-Group"
EXTRA_PREFIX = "X-Remote-Extra-"
TOKEN_EXTRA = "requesttokenid"  # what TokenReviews answer, so the proxy hands it back


@dataclass(frozen=True)
class RemoteUser:
    """What a trusted front proxy says about the caller (name may be "": the proxy's own
    requests, e.g. the aggregator's availability check and OpenAPI download)."""

    name: str
    groups: tuple[str, ...]
    extra: dict[str, tuple[str, ...]]

    @property
    def token_id(self) -> str | None:
        found = self.extra.get(TOKEN_EXTRA)
        return found[0] if found else None


@dataclass(frozen=True)
class ClientCerts:
    front_proxy_cas: tuple[x509.Certificate, ...]
    allowed_names: frozenset[str]
    reviewer_cas: tuple[x509.Certificate, ...]

    @classmethod
    def of(cls, config: Config) -> "ClientCerts":
        return cls(tls.load_cas(config.requestheader_client_ca),
                   frozenset(config.requestheader_allowed_names),
                   tls.load_cas(config.review_client_ca))

    def front_proxy(self, request: web.Request) -> RemoteUser | None:
        """The remote user when a front proxy's certificate came with the request, else
        None (then X-Remote-* headers mean nothing). 401 for a proxy name not allowed."""
        if not self.front_proxy_cas:
            return None
        cert = tls.peer_issued_by(_peer_der(request), self.front_proxy_cas)
        if cert is None:
            return None
        name = tls.common_name(cert)
        if self.allowed_names and name not in self.allowed_names:
            raise unauthorized(f"front proxy {name!r} is not an allowed name")
        return remote_user(request.headers)

    def reviewer(self, request: web.Request) -> bool:
        return tls.peer_issued_by(_peer_der(request), self.reviewer_cas) is not None


CLIENT_CERTS = web.AppKey("client_certs", ClientCerts)


def remote_user(headers) -> RemoteUser:
    """X-Remote-User, every X-Remote-Group, and X-Remote-Extra-<key> (key unescaped and
    lowercased, as Kubernetes' request-header authenticator reads them)."""
    extra: dict[str, tuple[str, ...]] = {}
    for header, value in headers.items():
        if header.lower().startswith(EXTRA_PREFIX.lower()):
            key = unquote(header[len(EXTRA_PREFIX):]).lower()
            extra[key] = (*extra.get(key, ()), value)
    groups = tuple(g for g in headers.getall(GROUP_HEADER, ()) if g)
    return RemoteUser(headers.get(USER_HEADER, ""), groups, extra)


def _peer_der(request: web.Request) -> bytes | None:
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport else None
    return ssl_object.getpeercert(binary_form=True) if ssl_object else None

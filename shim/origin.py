"""Where clients reach this server: the names it answers to, the base URL it writes into
links, kubeconfigs and headers, and whether clients see it over https.

A Host header is the client's to choose. Written into a kubeconfig's `server:` it
would send the user's token (or password, through the exec plugin) wherever it
names, so only names of this server ever reach a URL: with `public_url` that URL
and nothing else; without it, the Host must name this server (see `Origin.accepts`)
or the request gets 400.
"""

from __future__ import annotations

import re
import socket
import urllib.parse

from aiohttp import web

from shim.config import Config
from shim.errors import ApiError

WILDCARDS = frozenset({"", "0.0.0.0", "::", "*"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# A host name or an IPv4 address, or an IPv6 address in brackets; then an optional port.
_HOST = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])"
                   r"(?::[0-9]{1,5})?")
_CACHE_MAX = 256
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts are not ours to pin


class Origin:
    """The server's names (from the configuration) and the rule for a request's Host."""

    def __init__(self, config: Config, machine_name: str | None = None) -> None:
        self.public_url = config.public_url.rstrip("/") if config.public_url else None
        self.https = bool(self.public_url and self.public_url.lower().startswith("https:"))
        names = {str(n).lower() for n in config.tls_sans}
        host = str(config.host).lower()
        if host in WILDCARDS:  # the machine's own name, as `http://$(hostname):8080`
            machine = (machine_name or socket.gethostname()).lower()
            names |= {machine, machine.split(".", 1)[0]}
        else:
            names.add(host.strip("[]"))
        self.names = frozenset(names)
        self._seen: dict[tuple[str, str], str | None] = {}

    def accepts(self, hostname: str, local_address: str) -> bool:
        """A configured name (`host`, `tls_sans`, the machine's name when bound to all
        addresses), the address the client connected to, or a loopback name: such a URL
        leads back to the client's own machine, which is where a port forward
        (`docker run -p`, `kubectl port-forward`, `ssh -L`) delivers, from any address."""
        return hostname in self.names or hostname == local_address or hostname in LOOPBACK_NAMES

    def base_url(self, request: web.Request) -> str:
        """`public_url`, else the request's scheme and its (accepted) Host; 400 otherwise."""
        if self.public_url:
            return self.public_url
        local, port = local_address(request)
        key = (request.scheme, request.headers.get("Host", ""), local)
        found = self._seen.get(key, "")
        if found == "":
            found = self._judge(key, port)
        if found is None:
            raise wrong_host()
        return found

    def _judge(self, key: tuple[str, str, str], port: int) -> str | None:
        scheme, header, local = key
        host = header or f"{_bracketed(local)}:{port}"  # HTTP/1.0 may send no Host
        hostname = _hostname(host)
        found = f"{scheme}://{host}" if hostname and self.accepts(hostname, local) else None
        if len(self._seen) >= _CACHE_MAX:  # a client inventing Host headers
            self._seen.clear()
        self._seen[key] = found
        return found

    def secure(self, request: web.Request) -> bool:
        """Whether browsers reach the server over https (here, or at a TLS proxy in front)."""
        return self.https or request.secure


ORIGIN = web.AppKey("origin", Origin)


def base_url(request: web.Request) -> str:
    return request.app[ORIGIN].base_url(request)


def secure(request: web.Request) -> bool:
    return request.app[ORIGIN].secure(request)


def wrong_host() -> ApiError:
    return ApiError(400, "BadRequest",
                    "the Host header does not name this server: set public_url (--public-url) "
                    "to the URL clients use, or add the name with --tls-san",
                    reason="host")


def local_address(request: web.Request) -> tuple[str, int]:
    """The address and port the client connected to (this server's side)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not (isinstance(sockname, tuple) and len(sockname) >= 2):
        return "", 0
    address = str(sockname[0]).lower()
    if address.startswith("::ffff:"):  # an IPv4 client of a dual-stack socket
        address = address[7:]
    return address, int(sockname[1])


def _hostname(host: str) -> str | None:
    if not _HOST.fullmatch(host):
        return None
    try:
        return urllib.parse.urlsplit(f"//{host}").hostname
    except ValueError:
        return None


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address


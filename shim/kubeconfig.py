"""Kubeconfig YAML in Rancher's template: one cluster, one user, one context, all
named after the cluster. Pure: the caller supplies the URL, the CA and the user."""

from __future__ import annotations

import base64
from typing import Any

import yaml

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
PLAIN_HTTP_WARNING = (
    "the server URL is plain http://, and kubectl sends no credentials over plain HTTP "
    "(it answers 'You must be logged in'): serve HTTPS (--tls-self-signed or --tls-cert) "
    "or set --public-url to the https:// URL in front of token-shim"
)


def plain_http(base_url: str) -> bool:
    return base_url.lower().startswith("http://")


def cluster_url(base_url: str, cluster_id: str) -> str:
    return f"{base_url.rstrip('/')}/k8s/clusters/{cluster_id}"


def token_user(bearer: str) -> dict[str, Any]:
    """A user that presents `<id>:<secret>` as a Bearer token."""
    return {"token": bearer}


def exec_user(command: str, base_url: str, username: str, cluster_id: str) -> dict[str, Any]:
    """A user whose token comes from `token-shim token` (the exec credential plugin).

    `provideClusterInfo` hands the plugin the cluster's CA through
    KUBERNETES_EXEC_INFO, so it verifies the server exactly as kubectl does.
    """
    return {
        "exec": {
            "apiVersion": EXEC_API_VERSION,
            "command": command,
            "args": [
                "token",
                f"--server={base_url.rstrip('/')}",
                f"--user={username}",
                f"--cluster={cluster_id}",
            ],
            "interactiveMode": "IfAvailable",
            "provideClusterInfo": True,
        }
    }


def render(base_url: str, cluster_id: str, user: dict[str, Any], ca_pem: bytes | None) -> str:
    cluster: dict[str, Any] = {"server": cluster_url(base_url, cluster_id)}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_id, "cluster": cluster}],
        "users": [{"name": cluster_id, "user": user}],
        "contexts": [{"name": cluster_id, "context": {"user": cluster_id, "cluster": cluster_id}}],
        "current-context": cluster_id,
    }
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    if plain_http(base_url):
        return f"# WARNING: this kubeconfig will not work: {PLAIN_HTTP_WARNING}.\n{text}"
    return text

"""`token-shim apiservice`: the objects that register token-shim as the extension API
server of a kube-apiserver (the API aggregation layer): a Service of type ExternalName
(a local process or a host outside the cluster; Endpoints may not point at loopback)
and one APIService per API group version token-shim serves at its root.

The aggregator verifies token-shim's serving certificate against `caBundle` for the
name `<service>.<namespace>.svc`, so that name must be in the certificate
(`--tls-san`), and proxies with its front-proxy client certificate, which token-shim
checks against `requestheader_client_ca`.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

# What kube-apiserver already serves, or Rancher's CRDs own on a real local cluster.
SKIPPED_GROUPS = ("authentication.k8s.io",)


def group_versions(resources, groups: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    found: dict[tuple[str, str], None] = {}
    for resource in resources:
        if resource.group not in SKIPPED_GROUPS and (not groups or resource.group in groups):
            found[(resource.group, resource.version)] = None
    return list(found)


def manifests(resources, *, host: str, port: int, namespace: str, service: str,
              ca_pem: bytes | None, groups: tuple[str, ...] = ()) -> str:
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": service, "namespace": namespace},
           "spec": {"type": "ExternalName", "externalName": host,
                    "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}}
    docs = [] if namespace == "default" else [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    docs.append(svc)
    for group, version in group_versions(resources, groups):
        spec = {"group": group, "version": version, "groupPriorityMinimum": 100,
                "versionPriority": 100,
                "service": {"name": service, "namespace": namespace, "port": port}}
        if ca_pem:
            spec["caBundle"] = base64.b64encode(ca_pem).decode()
        else:
            spec["insecureSkipTLSVerify"] = True
        docs.append({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                     "metadata": {"name": f"{version}.{group}"}, "spec": spec})
    head = (f"# token-shim as an aggregated API server: its serving certificate must name "
            f"{service}.{namespace}.svc\n# (e.g. serve --tls-self-signed --tls-san "
            f"{service}.{namespace}.svc).\n")
    return head + yaml.safe_dump_all(docs, sort_keys=False)


def read_ca(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None

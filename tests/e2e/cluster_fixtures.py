"""The module-scoped fixtures of the tests that run a real kube-apiserver (import them
into a test module): kubectl, kube-apiserver and etcd; the certificates; a live
token-shim over TLS trusting the cluster's front proxy; the cluster itself, with
token-shim as its token webhook and aggregated API server, and RBAC for its users."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.kube_cluster import FRONT_PROXY_NAME, SERVICE_NAME, KubeCluster
from tests.e2e.kube_pki import Pki
from tests.live import LiveServer, require_tool

BUILD_HINT = "run scripts/build-kube-apiserver.sh (builds kube-apiserver and etcd with Go)"
RBAC = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: token-shim-tokens}
rules:
- apiGroups: [ext.cattle.io]
  resources: [tokens]
  verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: token-shim-users-tokens}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: token-shim-tokens}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "token-shim:users"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: token-shim-admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "token-shim:admins"}
"""


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    return {"kubectl": require_tool("kubectl", "install kubectl >= 1.28"),
            "kube-apiserver": require_tool("kube-apiserver", BUILD_HINT),
            "etcd": require_tool("etcd", BUILD_HINT)}


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"), FRONT_PROXY_NAME)


@pytest.fixture(scope="module")
def shim(tmp_path_factory, pki, tools):
    workdir = tmp_path_factory.mktemp("shim")
    live = LiveServer(
        workdir, "--tls-self-signed", "--tls-san", SERVICE_NAME,
        "--requestheader-client-ca", str(pki.front_ca),
        "--requestheader-allowed-names", FRONT_PROXY_NAME,
        scheme="https", ca_file=workdir / "tls" / "ca.pem",
        env={"TOKEN_SHIM_CLUSTERS": "local,other"},
    ).start(timeout=60)
    live.admin = live.login()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, tools, pki, shim):
    workdir = tmp_path_factory.mktemp("kube")
    kube = KubeCluster(workdir, tools["kubectl"], tools["kube-apiserver"], tools["etcd"],
                       shim.url, shim.ca_file, pki)
    try:
        kube.start()
        print(f"kube-apiserver ready in {kube.timings['ready']:.1f}s", file=sys.stderr)
        kube.apply_as_admin(RBAC)
        kube.apply_as_admin(apiservice_yaml(shim))
        for name in ("v1.ext.cattle.io", "v3.management.cattle.io"):
            print(f"{name} Available after {kube.wait_available(name):.1f}s", file=sys.stderr)
        yield kube
    finally:
        kube.stop()


def apiservice_yaml(shim: LiveServer) -> str:
    done = subprocess.run([sys.executable, "-m", "shim", "apiservice", "--port", str(shim.port),
                           "--ca-file", str(shim.ca_file)],
                          capture_output=True, text=True, check=True)
    return done.stdout

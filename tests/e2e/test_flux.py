"""Flux reconciles examples/gitops/ from Git through a real kube-apiserver into token-shim:
source-controller and kustomize-controller (built by scripts/build-flux.sh) run as local
processes against the cluster of tests/e2e/cluster_fixtures.py; the Git repository is
served on loopback. Create, undo a drift made on the v3 face, apply a committed change,
prune a removed manifest (the token is revoked)."""

from __future__ import annotations

import json
import shutil
import ssl
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.e2e.cluster_fixtures import cluster, pki, shim, tools  # noqa: F401 (fixtures)
from tests.e2e.git_server import GitServer
from tests.e2e.kube_cluster import KubeCluster, Process
from tests.live import LiveServer, free_port, require_tool

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "gitops"
FLUX_HINT = "run scripts/build-flux.sh (builds Flux's source- and kustomize-controller with Go)"
MAX_TTL = "/v3/settings/auth-token-max-ttl-minutes"
KUBECONFIG_TTL = "/v3/settings/kubeconfig-default-token-ttl-minutes"
EXT_TOKENS = "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens"
RECONCILE_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def flux(tmp_path_factory, cluster: KubeCluster, shim: LiveServer):  # noqa: F811
    source = require_tool("flux-source-controller", FLUX_HINT)
    kustomize = require_tool("flux-kustomize-controller", FLUX_HINT)
    crds = Path(source).parent.parent / "flux-crds"
    workdir = tmp_path_factory.mktemp("flux")
    repo = GitServer(workdir)
    for name in ("settings.yaml", "tokens.yaml"):
        shutil.copy(EXAMPLES / name, repo.work / name)
    repo.commit_and_push("token-shim objects")
    for crd in sorted(crds.glob("*/*.yaml")):
        done = cluster.kubectl(cluster.admin_config, "apply", "--server-side", "-f", str(crd))
        assert done.returncode == 0, done.stderr
    cluster.apply_as_admin("apiVersion: v1\nkind: Namespace\nmetadata: {name: flux-system}\n")
    # The controllers reach the cluster as a token-shim admin (an API token), so the
    # tokens they create through the aggregated API are that admin's.
    status, made = shim.call("POST", "/v3/tokens", {"description": "flux"}, bearer=shim.admin)
    assert status == 201, made
    kubeconfig = cluster.kubeconfig("flux", token=made["token"])
    storage = free_port()
    (workdir / "storage").mkdir()
    env = {"KUBECONFIG": str(kubeconfig), "RUNTIME_NAMESPACE": "flux-system"}

    def common() -> list[str]:
        return ["--enable-leader-election=false", "--events-addr=",
                f"--metrics-addr=127.0.0.1:{free_port()}",
                f"--health-addr=127.0.0.1:{free_port()}"]

    processes = [
        Process("source-controller", [source, *common(), f"--storage-path={workdir / 'storage'}",
                                      f"--storage-addr=127.0.0.1:{storage}",
                                      f"--storage-adv-addr=127.0.0.1:{storage}"],
                workdir / "source-controller.log", env),
        Process("kustomize-controller", [kustomize, *common()], workdir / "kustomize.log", env),
    ]
    cluster.apply_as_admin(yaml.safe_dump_all([
        {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
         "metadata": {"name": "tokens", "namespace": "flux-system"},
         "spec": {"url": repo.url, "interval": "10m", "ref": {"branch": "main"}}},
        {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
         "metadata": {"name": "tokens", "namespace": "flux-system"},
         "spec": {"interval": "10m", "path": "./", "prune": True,
                  "sourceRef": {"kind": "GitRepository", "name": "tokens"}}},
    ]))
    repo.processes = processes
    yield repo
    for process in processes:
        process.stop()
    repo.stop()


def reconcile(cluster: KubeCluster, repo: GitServer, done, what: str) -> float:
    """Ask both objects to reconcile now (Flux's requestedAt annotation) until `done()`."""
    started = time.monotonic()
    while time.monotonic() - started < RECONCILE_TIMEOUT:
        stamp = str(time.time_ns())
        for kind in ("gitrepository", "kustomization"):
            cluster.kubectl(cluster.admin_config, "annotate", "--overwrite", "-n", "flux-system",
                            kind, "tokens", f"reconcile.fluxcd.io/requestedAt={stamp}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for process in repo.processes:
                process.check_alive()
            if done():
                return time.monotonic() - started
            time.sleep(0.5)
    status = cluster.kubectl(cluster.admin_config, "get", "-n", "flux-system",
                             "kustomization,gitrepository", "-o", "yaml").stdout
    raise AssertionError(f"Flux did not {what} within {RECONCILE_TIMEOUT}s:\n{status[-3000:]}")


def token(shim: LiveServer, name: str) -> dict | None:
    """The ext token's spec as token-shim has it (the kube face), None once deleted."""
    status, body = shim.call("GET", f"{EXT_TOKENS}/{name}", bearer=shim.admin)
    return body["spec"] if status == 200 else None


def describe(shim: LiveServer, name: str, description: str) -> None:
    """An edit made on token-shim directly, not through the cluster: drift for Flux."""
    request = urllib.request.Request(
        f"{shim.url}{EXT_TOKENS}/{name}", method="PATCH",
        data=json.dumps({"spec": {"description": description}}).encode(),
        headers={"Content-Type": "application/merge-patch+json",
                 "Authorization": f"Bearer {shim.admin}"})
    context = ssl.create_default_context(cafile=str(shim.ca_file))
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        assert response.status == 200


def setting(shim: LiveServer, path: str) -> str:
    return shim.call("GET", path, bearer=shim.admin)[1]["value"]


def max_ttl(shim: LiveServer) -> str:
    return setting(shim, MAX_TTL)


def test_flux_creates_undoes_drift_applies_changes_and_prunes(cluster, shim, flux):  # noqa: F811
    took = reconcile(cluster, flux, lambda: token(shim, "ci-deployer") is not None
                     and max_ttl(shim) == "43200", "create the tokens and settings")
    print(f"created in {took:.1f}s")
    assert token(shim, "ci-deployer")["description"] == "CI pipeline deployer"

    # drift made on token-shim directly (a setting on the v3 face, the token on the
    # kube face) is undone by the next reconcile
    # (not the max TTL: below the token's ttl, Rancher's rules refuse the token's
    # update and Flux's dry run stops the whole Kustomization; see the README)
    assert shim.call("PUT", KUBECONFIG_TTL, {"value": "600"}, bearer=shim.admin)[0] == 200
    describe(shim, "ci-deployer", "hand edit")
    reconcile(cluster, flux, lambda: setting(shim, KUBECONFIG_TTL) == "1440"
              and token(shim, "ci-deployer")["description"] == "CI pipeline deployer",
              "undo the drift")

    # a change committed to Git is applied
    manifest = (flux.work / "tokens.yaml").read_text()
    (flux.work / "tokens.yaml").write_text(manifest.replace("CI pipeline deployer",
                                                            "CI deployer, from Git"))
    flux.commit_and_push("describe the deployer")
    reconcile(cluster, flux, lambda: token(shim, "ci-deployer")["description"]
              == "CI deployer, from Git", "apply the committed change")

    # a manifest removed from Git is pruned: the token is revoked
    (flux.work / "tokens.yaml").unlink()
    flux.commit_and_push("retire the deployer")
    reconcile(cluster, flux, lambda: token(shim, "ci-deployer") is None, "prune the token")
    got = cluster.kubectl(cluster.admin_config, "get", "kustomization", "-n", "flux-system",
                          "tokens", "-o", "json")
    ready = [c for c in json.loads(got.stdout)["status"]["conditions"] if c["type"] == "Ready"]
    assert ready and ready[0]["status"] == "True", ready

"""A real etcd and kube-apiserver on loopback, wired to a live token-shim both ways:
its token webhook asks token-shim's `/v1/authenticate`, and its aggregation layer
proxies `ext.cattle.io` (and `management.cattle.io`) to token-shim with a front-proxy
client certificate. The certificates are made here (tests/e2e/kube_pki.py)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import yaml

from tests.e2e.kube_pki import Pki
from tests.live import free_port

SERVICE_NAME = "token-shim.token-shim.svc"
FRONT_PROXY_NAME = "front-proxy-client"
WEBHOOK_CACHE_TTL = 1.0  # seconds: how long the kube-apiserver trusts a review's answer


def quiet_env(**extra: str) -> dict[str, str]:
    """No proxies: every connection here is to loopback."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return env | {"NO_PROXY": "*", **extra}


class Process:
    def __init__(self, name: str, command: list[str], log: Path,
                 env: dict[str, str] | None = None) -> None:
        self.name, self.log_path = name, log
        self._log = open(log, "ab")
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=quiet_env(**(env or {})), start_new_session=True)

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n"
                               f"{self.log_path.read_text(errors='replace')[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


class KubeCluster:
    """etcd + kube-apiserver; `kubectl(...)` runs kubectl against it as someone."""

    def __init__(self, workdir: Path, kubectl: str, kube_apiserver: str, etcd: str,
                 shim_url: str, shim_ca: Path, pki: Pki) -> None:
        self.workdir, self.kubectl_bin, self.pki = workdir, kubectl, pki
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.home = workdir / "home"
        self.home.mkdir(exist_ok=True)
        self._etcd_args = self._etcd(etcd)
        self._apiserver_args = self._apiserver(kube_apiserver, shim_url, shim_ca)
        self.processes: list[Process] = []
        self.timings: dict[str, float] = {}

    def _etcd(self, etcd: str) -> list[str]:
        self.etcd_port, peer = free_port(), free_port()
        return [etcd, "--data-dir", str(self.workdir / "etcd"), "--unsafe-no-fsync",
                "--listen-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                "--advertise-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", f"default=http://127.0.0.1:{peer}"]

    def _apiserver(self, binary: str, shim_url: str, shim_ca: Path) -> list[str]:
        p = self.pki
        webhook = self.workdir / "webhook.kubeconfig"
        webhook.write_text(yaml.safe_dump(webhook_kubeconfig(f"{shim_url}/v1/authenticate",
                                                              shim_ca)))
        return [
            binary, "--etcd-servers", f"http://127.0.0.1:{self.etcd_port}",
            "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--secure-port", str(self.port), "--service-cluster-ip-range", "10.96.0.0/24",
            "--endpoint-reconciler-type", "none", "--enable-priority-and-fairness=false",
            "--tls-cert-file", str(p.apiserver_cert), "--tls-private-key-file", str(p.apiserver_key),
            "--client-ca-file", str(p.cluster_ca), "--authorization-mode", "RBAC",
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-account-key-file", str(p.sa_pub),
            "--service-account-signing-key-file", str(p.sa_key),
            "--authentication-token-webhook-config-file", str(webhook),
            "--authentication-token-webhook-version", "v1",
            "--authentication-token-webhook-cache-ttl", f"{WEBHOOK_CACHE_TTL:g}s",
            "--requestheader-client-ca-file", str(p.front_ca),
            "--requestheader-allowed-names", FRONT_PROXY_NAME,
            "--requestheader-username-headers", "X-Remote-User",
            "--requestheader-group-headers", "X-Remote-Group",
            "--requestheader-extra-headers-prefix", "X-Remote-Extra-",
            "--proxy-client-cert-file", str(p.front_cert), "--proxy-client-key-file",
            str(p.front_key), "--cert-dir", str(self.workdir / "certs"),
        ]

    def start(self, timeout: float = 120.0) -> "KubeCluster":
        started = time.monotonic()
        self.processes.append(Process("etcd", self._etcd_args, self.workdir / "etcd.log"))
        self.processes.append(Process("kube-apiserver", self._apiserver_args,
                                      self.workdir / "kube-apiserver.log"))
        self.admin_config = self.kubeconfig("admin", cert=(self.pki.admin_cert,
                                                            self.pki.admin_key))
        deadline = started + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                process.check_alive()
            ready = self.kubectl(self.admin_config, "get", "--raw", "/readyz")
            if ready.returncode == 0 and ready.stdout.strip() == "ok":
                self.timings["ready"] = time.monotonic() - started
                return self
            time.sleep(0.5)
        raise RuntimeError(f"kube-apiserver not ready after {timeout}s:\n"
                           f"{(self.workdir / 'kube-apiserver.log').read_text()[-4000:]}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def kubeconfig(self, name: str, token: str | None = None,
                   cert: tuple[Path, Path] | None = None) -> Path:
        user: dict = {"token": token} if token else {
            "client-certificate": str(cert[0]), "client-key": str(cert[1])}
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {
                "server": self.url, "certificate-authority": str(self.pki.cluster_ca)}}],
            "users": [{"name": name, "user": user}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": name}}],
        }
        path = self.workdir / f"{name}-{abs(hash((token, cert))) % 10**8}.kubeconfig"
        path.write_text(yaml.safe_dump(config))
        return path

    def as_token(self, token: str) -> Path:
        return self.kubeconfig("token", token=token)

    def kubectl(self, kubeconfig: Path, *args: str,
                stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.kubectl_bin, f"--kubeconfig={kubeconfig}", "--request-timeout=30s", *args],
            input=stdin, capture_output=True, text=True, timeout=90, start_new_session=True,
            env=quiet_env(HOME=str(self.home)),
        )

    def apply_as_admin(self, manifest: str) -> None:
        done = self.kubectl(self.admin_config, "apply", "-f", "-", stdin=manifest)
        assert done.returncode == 0, done.stderr

    def wait_available(self, api_service: str, timeout: float = 60.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            got = self.kubectl(self.admin_config, "get", "apiservice", api_service, "-o", "json")
            if got.returncode == 0:
                conditions = json.loads(got.stdout).get("status", {}).get("conditions", [])
                if any(c["type"] == "Available" and c["status"] == "True" for c in conditions):
                    return time.monotonic() - started
            time.sleep(0.5)
        raise AssertionError(f"APIService {api_service} not Available after {timeout}s: "
                             f"{got.stdout or got.stderr}")


def webhook_kubeconfig(url: str, ca: Path) -> dict:
    """What --authentication-token-webhook-config-file reads: token-shim as the cluster."""
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": "webhook",
        "clusters": [{"name": "token-shim", "cluster": {"server": url,
                                                        "certificate-authority": str(ca)}}],
        "users": [{"name": "kube-apiserver", "user": {}}],
        "contexts": [{"name": "webhook", "context": {"cluster": "token-shim",
                                                     "user": "kube-apiserver"}}],
    }

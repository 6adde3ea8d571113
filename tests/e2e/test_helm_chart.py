"""charts/token-shim with the real helm (lint, template) and the rendered objects checked by
kube-validate (scripts/kube-validate: strict decoding and the API's structured schema, from
client-go; `kubectl apply --dry-run=client` would need an API server for discovery)."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from shim.options import OPTIONS
from tests.e2e.container import IMAGE, build_image, podman, require_container_tools
from tests.live import LiveServer, require_tool

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "token-shim"
HINT = "scripts/install-test-tools.sh (step helm: helm and kube-validate built with Go from the module proxy)"
POSTGRESQL = ("database.type=postgresql", "replicaCount=3", "database.postgresql.existingSecret=shim-db")
TLS = ("tls.existingSecret=shim-tls", "tls.caKey=ca.crt")
MODES = {"sqlite": (), "postgresql": POSTGRESQL, "tls": TLS, "self-signed": ("tls.selfSigned=true",),
         "everything": (*POSTGRESQL, *TLS, "publicUrl=https://shim.example", "metrics=public",
                        "metricsScrapeAnnotations=true", "workers=2", "bootstrapPassword.existingSecret=boot",
                        "persistence.storageClass=fast", "imagePullSecrets[0].name=pull")}

KUBE_PLAY_CONF = """[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
"""


class PodServer(LiveServer):
    """The played pod's server on its address in podman's network (`call` and `login` from LiveServer)."""

    def __init__(self, address: str) -> None:
        self.url, self.ca_file = f"http://{address}:8080", None

    def wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready():
            assert time.monotonic() < deadline, f"{self.url}/healthz did not answer in {timeout}s"
            time.sleep(0.2)


def helm(*args: str) -> subprocess.CompletedProcess:
    command = [require_tool("helm", HINT), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def render(*sets: str) -> str:
    result = helm("template", "shim", str(CHART), "--namespace", "tokens",
                  *[arg for value in sets for arg in ("--set", value)])
    assert result.returncode == 0, result.stderr
    return result.stdout


def objects(*sets: str) -> dict[str, dict]:
    """The rendered objects by kind (one of each kind here)."""
    return {doc["kind"]: doc for doc in yaml.safe_load_all(render(*sets)) if doc}


def kube_validate(text: str) -> subprocess.CompletedProcess:
    command = [require_tool("kube-validate", HINT)]
    return subprocess.run(command, input=text, capture_output=True, text=True, timeout=60)


def container(*sets: str) -> dict:
    return objects(*sets)["Deployment"]["spec"]["template"]["spec"]["containers"][0]


def env(*sets: str) -> dict[str, object]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(*sets)["env"]}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_the_chart_lints_strictly(mode):
    result = helm("lint", "--strict", str(CHART), *[arg for v in MODES[mode] for arg in ("--set", v)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_rendered_object_decodes_strictly_against_the_kubernetes_schema(mode):
    result = kube_validate(render(*MODES[mode]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok Deployment/shim-token-shim" in result.stdout and "ok Service/shim-token-shim" in result.stdout


@pytest.mark.parametrize("old, new, problem", [
    ("automountServiceAccountToken: false", "automountServiceAccountToken: false\n      hostNetwrk: true",
     'unknown field "spec.template.spec.hostNetwrk"'),
    ("containerPort: 8080", 'containerPort: "eighty"',
     "cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports"),
])
def test_kube_validate_names_an_unknown_field_and_a_value_of_the_wrong_type(old, new, problem):
    result = kube_validate(render().replace(old, new))
    assert result.returncode == 1
    assert "invalid Deployment/shim-token-shim" in result.stdout and problem in result.stdout
    assert "ok Service/shim-token-shim" in result.stdout


def test_sqlite_is_one_pod_replaced_not_rolled_on_a_kept_claim():
    rendered = objects()
    spec = rendered["Deployment"]["spec"]
    assert spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate"
    claim = rendered["PersistentVolumeClaim"]
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert env()["TOKEN_SHIM_DB"] == "sqlite:////data/token-shim.db"
    assert {"name": "data", "mountPath": "/data"} in container()["volumeMounts"]


def test_postgresql_runs_n_pods_with_the_url_from_a_secret_and_no_claim():
    rendered = objects(*POSTGRESQL)
    assert "PersistentVolumeClaim" not in rendered
    spec = rendered["Deployment"]["spec"]
    assert spec["replicas"] == 3 and spec["strategy"]["type"] == "RollingUpdate"
    assert env(*POSTGRESQL)["TOKEN_SHIM_DB"] == {"secretKeyRef": {"name": "shim-db", "key": "url"}}


@pytest.mark.parametrize("sets, reason", [
    (("replicaCount=2",), "replicaCount 2 needs database.type postgresql"),
    (("database.type=postgresql",), "needs database.postgresql.existingSecret"),
    (("database.type=mysql",), 'database.type "mysql" is not sqlite or postgresql'),
    ((*POSTGRESQL, "tls.selfSigned=true"), "with database.type postgresql use tls.existingSecret"),
    (("metrics=everyone",), 'metrics "everyone" is not off, public or admin'),
])
def test_a_combination_the_server_cannot_run_stops_the_install_with_the_reason(sets, reason):
    result = helm("template", "shim", str(CHART), *[arg for v in sets for arg in ("--set", v)])
    assert result.returncode == 1 and reason in result.stderr


def test_the_bootstrap_password_comes_from_a_secret_the_chart_makes_or_one_given():
    made = objects()["Secret"]
    password = base64.b64decode(made["data"]["password"]).decode()
    assert len(password) >= 12 and made["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert env()["TOKEN_SHIM_BOOTSTRAP_PASSWORD"] == {
        "secretKeyRef": {"name": made["metadata"]["name"], "key": "password"}}
    given = ("bootstrapPassword.existingSecret=boot", "bootstrapPassword.key=pw")
    assert "Secret" not in objects(*given)
    assert env(*given)["TOKEN_SHIM_BOOTSTRAP_PASSWORD"] == {"secretKeyRef": {"name": "boot", "key": "pw"}}


def test_tls_from_a_secret_is_mounted_read_only_and_probed_over_https():
    rendered = objects(*TLS)
    pod = rendered["Deployment"]["spec"]["template"]["spec"]
    assert {"name": "tls", "secret": {"secretName": "shim-tls", "defaultMode": 0o400}} in pod["volumes"]
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["tls"] == {"name": "tls", "mountPath": "/etc/token-shim/tls", "readOnly": True}
    variables = env(*TLS)
    assert (variables["TOKEN_SHIM_TLS_CERT"], variables["TOKEN_SHIM_TLS_KEY"], variables["TOKEN_SHIM_TLS_CA"]) == (
        "/etc/token-shim/tls/tls.crt", "/etc/token-shim/tls/tls.key", "/etc/token-shim/tls/ca.crt")
    probes = [pod["containers"][0][p]["httpGet"] for p in ("startupProbe", "livenessProbe", "readinessProbe")]
    assert all(p["scheme"] == "HTTPS" for p in probes)
    assert rendered["Service"]["spec"]["ports"][0]["port"] == 443


def test_self_signed_tls_names_the_service_in_its_certificate():
    sans = env("tls.selfSigned=true", "tls.sans={shim.example}")["TOKEN_SHIM_TLS_SANS"].split(",")
    assert sans == ["shim-token-shim", "shim-token-shim.tokens", "shim-token-shim.tokens.svc",
                    "shim-token-shim.tokens.svc.cluster.local", "shim.example"]


def test_probes_ask_the_server_whether_it_lives_and_whether_its_store_answers():
    probes = container()
    assert probes["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080, "scheme": "HTTP"}
    assert probes["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8080, "scheme": "HTTP"}
    assert probes["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_the_pod_runs_as_the_image_user_on_a_read_only_root_with_resources():
    pod = objects()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False  # TOKEN_SHIM_PORT=tcp://... beside a Service named token-shim
    box = pod["containers"][0]
    assert box["securityContext"]["readOnlyRootFilesystem"] is True
    assert box["securityContext"]["allowPrivilegeEscalation"] is False
    assert box["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert box["resources"]["requests"] == {"cpu": "50m", "memory": "96Mi"}
    assert {m["mountPath"] for m in box["volumeMounts"]} == {"/data", "/tmp"}


def test_public_url_clusters_metrics_and_pinned_settings_reach_the_server_environment():
    variables = env("publicUrl=https://shim.example", "clusters={local,prod}", "metrics=public",
                    "pinnedSettings.auth-token-max-ttl-minutes=1440")
    assert variables["TOKEN_SHIM_PUBLIC_URL"] == "https://shim.example"
    assert variables["TOKEN_SHIM_CLUSTERS"] == "local,prod"
    assert variables["TOKEN_SHIM_METRICS"] == "public"
    assert variables["CATTLE_AUTH_TOKEN_MAX_TTL_MINUTES"] == "1440"
    assert "TOKEN_SHIM_PUBLIC_URL" not in env()


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_server_variable_the_chart_sets_is_an_option_of_serve(mode):
    known = {option.env for option in OPTIONS}
    names = {name for name in env(*MODES[mode]) if name.startswith("TOKEN_SHIM_")}
    assert names <= known, names - known


def test_the_chart_app_version_is_the_package_version():
    import tomllib

    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["appVersion"] == project["version"]


def test_the_rendered_pod_runs_the_built_image_under_podman_kube_play(tmp_path):
    """The chart's objects and the Dockerfile's image together: podman plays the Deployment
    (read-only root, user 10001, the claim as a volume, the password from the Secret)."""
    require_container_tools()
    built = build_image()
    assert built.returncode == 0, built.stderr[-4000:]
    release = f"play{uuid.uuid4().hex[:6]}"
    name, tag = IMAGE.rsplit(":", 1)
    docs = [doc for doc in yaml.safe_load_all(helm(
        "template", release, str(CHART), "--set", f"image.repository={name}", "--set", f"image.tag={tag}",
        "--set", "image.pullPolicy=Never").stdout) if doc]
    secret = next(doc for doc in docs if doc["kind"] == "Secret")
    played = tmp_path / "play.yaml"
    played.write_text(yaml.safe_dump_all([doc for doc in docs if doc["kind"] != "Secret"]))
    # podman 4's kube play reads a secretKeyRef from a podman secret holding the data map as JSON.
    podman("secret", "create", secret["metadata"]["name"], "-", input=json.dumps(secret["data"]))
    conf = tmp_path / "containers.conf"
    conf.write_text(KUBE_PLAY_CONF)
    try:
        podman("kube", "play", str(played), env={"CONTAINERS_CONF": str(conf)}, timeout=120)
        box = f"{release}-token-shim-pod-0-token-shim"
        server = PodServer(podman("inspect", box, "--format",
                                  "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}").stdout.strip())
        server.wait()
        assert server.call("GET", "/readyz") == (200, {"status": "ok"})
        password = base64.b64decode(secret["data"]["password"]).decode()
        server.login(password=password)
        inspected = json.loads(podman("inspect", box).stdout)[0]
        assert inspected["HostConfig"]["ReadonlyRootfs"] is True
        assert "10001" in podman("exec", box, "cat", "/proc/1/status").stdout.split("Uid:")[1].split("\n")[0]
    finally:
        podman("kube", "down", str(played), check=False)
        podman("secret", "rm", secret["metadata"]["name"], check=False)
        podman("volume", "rm", "--force", f"{release}-token-shim-data", check=False)

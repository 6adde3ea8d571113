"""`token-shim apiservice`: the objects that register token-shim with an API aggregator."""

import base64
import subprocess
import sys

import yaml

from shim.apiservice import manifests
from shim.faces.kube.table import RESOURCES


def objects(**kw) -> list[dict]:
    args = {"host": "localhost", "port": 8443, "namespace": "token-shim",
            "service": "token-shim", "ca_pem": b"PEM"} | kw
    return list(yaml.safe_load_all(manifests(RESOURCES, **args)))


def test_a_namespace_an_external_name_service_and_one_apiservice_per_group_version():
    found = objects()
    assert [(o["kind"], o["metadata"]["name"]) for o in found] == [
        ("Namespace", "token-shim"), ("Service", "token-shim"),
        ("APIService", "v1.ext.cattle.io"), ("APIService", "v3.management.cattle.io")]
    service = found[1]["spec"]
    assert service == {"type": "ExternalName", "externalName": "localhost",
                       "ports": [{"name": "https", "port": 8443, "protocol": "TCP"}]}
    spec = found[2]["spec"]
    assert spec["service"] == {"name": "token-shim", "namespace": "token-shim", "port": 8443}
    assert base64.b64decode(spec["caBundle"]) == b"PEM" and "insecureSkipTLSVerify" not in spec
    assert (spec["groupPriorityMinimum"], spec["versionPriority"]) == (100, 100)  # Rancher's


def test_only_the_groups_asked_for_and_never_one_kube_apiserver_serves():
    found = objects(groups=("ext.cattle.io",), namespace="default", ca_pem=None)
    assert [o["kind"] for o in found] == ["Service", "APIService"]
    assert found[1]["spec"]["insecureSkipTLSVerify"] is True
    assert "authentication.k8s.io" not in manifests(RESOURCES, host="h", port=1, namespace="n",
                                                    service="s", ca_pem=None)


def test_the_command_prints_them(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"CA")
    done = subprocess.run([sys.executable, "-m", "shim", "apiservice", "--port", "9443",
                           "--ca-file", str(ca), "--host", "shim.example"],
                          capture_output=True, text=True, check=True)
    found = list(yaml.safe_load_all(done.stdout))
    assert found[1]["spec"]["externalName"] == "shim.example"
    assert base64.b64decode(found[2]["spec"]["caBundle"]) == b"CA"

"""Fixtures for the e2e tests that drive terraform with the real restapi provider."""

from __future__ import annotations

import pytest

from tests.e2e.terraform import Terraform, build_providers, provider_versions


@pytest.fixture(scope="session")
def cli_config():
    return build_providers()


@pytest.fixture(params=provider_versions())
def version(request):
    return request.param


@pytest.fixture
def tf(tmp_path, server, version, cli_config):
    def make(example: str) -> Terraform:
        bearer = server.call("POST", "/v3/tokens", {"description": "terraform"}, bearer=server.admin)[1]
        runner = Terraform(tmp_path, example, version, cli_config, server.url, bearer["token"])
        runner.init()
        return runner

    return make

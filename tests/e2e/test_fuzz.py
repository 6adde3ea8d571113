"""Schemathesis against a live server: every documented operation of both faces,
as admin, a bounded and reproducible number of examples each.

Checks: no 5xx, every status documented, content type, headers and body as
documented, and schema-invalid requests (negative mode) rejected with a 4xx.
Not fuzzed: `POST /v3/tokens?action=logout`, which deletes the very token the run
authenticates with (logoutAll only ends sessions; the run uses an API token).

The document is built in-process (the server serves the same one, see
tests/api/test_openapi.py): schemathesis' fixture-loaded schemas do not run
under pytest 9.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

from shim.openapi import document
from shim.schemas import Schemas
from tests.live import LiveServer

EXAMPLES = int(os.environ.get("TOKEN_SHIM_FUZZ_EXAMPLES", "25"))  # per operation
COVERAGE = os.environ.get("TOKEN_SHIM_FUZZ_COVERAGE") == "1"  # schemathesis' boundary cases too
CONFORMANCE = [
    not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
    checks.response_schema_conformance, checks.response_headers_conformance,
]
CHECKS = CONFORMANCE + [checks.negative_data_rejection]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    server = LiveServer(workdir, "--audit-log", str(workdir / "audit.log")).start()
    session = server.login()
    # An API token (not a session): setting changes and logoutAll cannot end it.
    status, body = server.call("POST", "/v3/tokens", {"description": "fuzz"}, bearer=session)
    assert status == 201, body
    server.bearer = body["token"]
    yield server
    server.stop()


CONFIG = schemathesis.Config.from_dict({
    "seed": int(os.environ.get("TOKEN_SHIM_FUZZ_SEED", "20260101")),
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True},
    "phases": {"coverage": {"enabled": COVERAGE}, "stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(document(Schemas()), config=CONFIG)


@schema.parametrize()
def test_every_operation_answers_as_documented(case, live):
    action = (case.query or {}).get("action") if case.path == "/v3/tokens" else None
    if action == "logout":
        return  # would delete the run's own token
    # logoutAll ignores the body, as Rancher does: an invalid one is not rejected
    case.call_and_validate(base_url=live.url, headers={"Authorization": f"Bearer {live.bearer}"},
                           checks=CONFORMANCE if action else CHECKS)

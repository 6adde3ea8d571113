"""The no-silent-skips hook (tests/missing_tools.py), run on small suites by pytester."""

import pytest

import tests.conftest
from tests import missing_tools

pytest_plugins = ["pytester"]

SUITE = """
import pytest
from tests.missing_tools import skip_for_missing_tool

@pytest.fixture(scope="session")
def server():
    skip_for_missing_tool("pgtool not found: install it")

def test_needs_the_tool(server):
    pass

def test_needs_it_too(server):
    pass

def test_looks_for_the_tool_itself():
    skip_for_missing_tool("kubectl not found: install kubectl")

def test_plain():
    pass

@pytest.mark.skip(reason="not about tools")
def test_skipped_for_another_reason():
    pass
"""


def use_hooks(pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        "from tests.missing_tools import pytest_runtest_makereport, pytest_terminal_summary\n")


@pytest.fixture
def suite(pytester, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(missing_tools.PARTIAL, raising=False)
    use_hooks(pytester)
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_the_suite_conftest_installs_the_hooks():
    assert tests.conftest.pytest_runtest_makereport is missing_tools.pytest_runtest_makereport
    assert tests.conftest.pytest_terminal_summary is missing_tools.pytest_terminal_summary


def test_a_skip_for_a_missing_tool_fails_the_run(suite):
    result = suite.runpytest()
    result.assert_outcomes(passed=1, errors=2, failed=1, skipped=1)  # errors: in a fixture
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*missing tool: pgtool not found: install it*",
        "*3 tests failed for missing tools; set TOKEN_SHIM_PARTIAL=1 for a partial run*",
    ])
    result.stdout.no_fnmatch_line("*partial run (TOKEN_SHIM_PARTIAL=1)*")


def test_a_partial_run_allows_the_skips_and_names_itself_with_the_count(suite, monkeypatch):
    monkeypatch.setenv(missing_tools.PARTIAL, "1")
    result = suite.runpytest()
    result.assert_outcomes(passed=1, skipped=4)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["partial run (TOKEN_SHIM_PARTIAL=1): 3 tests skipped for missing tools"])


@pytest.mark.parametrize("value", ["0", "", "yes"])
def test_only_the_value_1_asks_for_a_partial_run(suite, monkeypatch, value):
    monkeypatch.setenv(missing_tools.PARTIAL, value)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, errors=2, failed=1, skipped=1)


@pytest.mark.parametrize("partial", ["1", None])
def test_under_ci_a_missing_tool_always_fails(suite, monkeypatch, partial):
    monkeypatch.setenv("CI", "true")
    if partial:
        monkeypatch.setenv(missing_tools.PARTIAL, partial)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, errors=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*pgtool not found: install it*"])
    result.stdout.no_fnmatch_line("*partial run*")


def test_a_suite_with_every_tool_is_untouched(pytester, monkeypatch):
    monkeypatch.delenv(missing_tools.PARTIAL, raising=False)
    use_hooks(pytester)
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*missing tools*")

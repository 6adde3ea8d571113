"""The operations options: logging, audit log, metrics access, login throttling."""

import pytest

from shim.config import build_config


def test_operations_defaults():
    config = build_config({}, {}, {})
    assert (config.log_format, config.audit_log, config.metrics) == ("text", "stderr", "admin")
    assert (config.login_throttle_user_burst, config.login_throttle_ip_burst) == (5, 20)
    assert (config.login_throttle_base, config.login_throttle_max) == (1.0, 300.0)
    assert config.login_throttle_decay == 300.0


def test_yaml_off_reads_as_off_not_false():
    config = build_config({"audit_log": False, "metrics": False}, {}, {})
    assert (config.audit_log, config.metrics) == ("off", "off")


def test_throttle_numbers_come_from_the_environment():
    env = {"TOKEN_SHIM_LOGIN_THROTTLE_USER_BURST": "3", "TOKEN_SHIM_LOGIN_THROTTLE_MAX": "60"}
    config = build_config({}, env, {})
    assert (config.login_throttle_user_burst, config.login_throttle_max) == (3, 60.0)


@pytest.mark.parametrize("key,value", [("log_format", "xml"), ("metrics", "everyone")])
def test_unknown_choices_are_errors(key, value):
    with pytest.raises(ValueError, match="is not one of"):
        build_config({key: value}, {}, {})

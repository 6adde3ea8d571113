"""One table of options: every option is a flag, an environment variable and a file key."""

import dataclasses
import re
from pathlib import Path

import pytest

from shim import cli
from shim.config import Config, OptionError, build_config
from shim.options import MIN_PASSWORD_LENGTH, OPTIONS, markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"
# A value other than the default, as a flag or variable would spell it, and as it reads typed.
SAMPLES = {
    "text": ("some-text", "some-text"), "integer": ("7", 7), "number": ("2.5", 2.5),
    "boolean": ("true", True), "list": ("a, b", ("a", "b")), "output": ("off", "off"),
}
SPECIAL = {
    "db": ("sqlite:////tmp/elsewhere.db", "sqlite:////tmp/elsewhere.db"),
    "port": ("7", 7),
    "bootstrap_password": ("a-long-password-1", "a-long-password-1"),
    "public_url": ("https://shim.example", "https://shim.example"),
}


def _sample(option):
    if option.name in SPECIAL:
        return SPECIAL[option.name]
    if option.choices:
        other = next(c for c in option.choices if c != option.default)
        return other, other
    return SAMPLES[option.type]


def _flags(argv):
    args = cli._parser()[0].parse_args(["serve", *argv])
    return {k: v for k, v in vars(args).items() if k not in ("command", "config")}


def test_the_config_has_exactly_the_options_of_the_table_with_their_defaults():
    fields = {f.name: f.default for f in dataclasses.fields(Config)
              if f.name not in ("pinned_settings", "file_keys", "metrics_dir")}  # not options
    assert fields == {o.name: o.default for o in OPTIONS}


def test_the_options_other_branches_add_exist_with_their_defaults():
    config = build_config({}, {}, {})
    assert config.body_timeout == 10.0 and config.server_version == "v2.13.0"


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_every_option_is_a_flag_an_environment_variable_and_a_file_key(option):
    raw, typed = _sample(option)
    argv = [option.flag] if option.type == "boolean" else [option.flag, raw]
    assert getattr(build_config({}, {}, _flags(argv)), option.name) == typed
    assert getattr(build_config({}, {option.env: raw}, {}), option.name) == typed
    assert getattr(build_config({option.name: raw}, {}, {}), option.name) == typed


def test_the_flags_the_readme_promised_now_exist():
    argv = ["--max-in-flight", "3", "--purge-batch", "4", "--cache-refresh-interval", "0.5",
            "--token-hashing-default", "--clusters", "local,c2", "--login-throttle-user-burst",
            "2", "--login-throttle-ip-burst", "9", "--login-throttle-base", "0.5",
            "--login-throttle-max", "9", "--login-throttle-decay", "60"]
    config = build_config({}, {}, _flags(argv))
    assert (config.max_in_flight, config.purge_batch, config.cache_refresh_interval) == (3, 4, 0.5)
    assert config.token_hashing_default is True and config.clusters == ("local", "c2")
    assert (config.login_throttle_user_burst, config.login_throttle_ip_burst) == (2, 9)
    assert (config.login_throttle_base, config.login_throttle_max) == (0.5, 9.0)
    assert config.login_throttle_decay == 60.0


def test_serve_help_shows_every_flag_with_its_default_and_environment_variable():
    text = re.sub(r"\s+", " ", cli._parser()[1]["serve"].format_help())
    for option in OPTIONS:
        shown = option.shown().replace("`", "")
        assert option.flag in text
        assert f"(default: {shown}; env {option.env})" in text, option.name


def test_readme_configuration_table_is_the_generated_one():
    """Regenerate with `python scripts/options-table.py --write`."""
    assert markdown_table() in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("environ,message", [
    ({"TOKEN_SHIM_MAX_IN_FLIGHT": "abc"},
     "TOKEN_SHIM_MAX_IN_FLIGHT: 'abc' is not an integer (option max_in_flight)"),
    ({"TOKEN_SHIM_MAX_IN_FLIGHT": "0"},
     "TOKEN_SHIM_MAX_IN_FLIGHT: '0' must be at least 1 (option max_in_flight)"),
    ({"TOKEN_SHIM_PORT": "70000"}, "TOKEN_SHIM_PORT: '70000' is not a port number"),
    ({"TOKEN_SHIM_WORKERS": "0"}, "TOKEN_SHIM_WORKERS: '0' must be at least 1 (option workers)"),
    ({"TOKEN_SHIM_WORKERS": "two"},
     "TOKEN_SHIM_WORKERS: 'two' is not an integer (option workers)"),
    ({"TOKEN_SHIM_PURGE_INTERVAL": "-1"}, "TOKEN_SHIM_PURGE_INTERVAL: '-1' is not a positive"),
    ({"TOKEN_SHIM_LOG_LEVEL": "loud"}, "TOKEN_SHIM_LOG_LEVEL: 'loud' is not one of debug, info"),
])
def test_a_bad_value_names_its_source_and_the_option(environ, message):
    with pytest.raises(OptionError) as raised:
        build_config({}, environ, {})
    assert str(raised.value).startswith(message)


def test_a_bad_file_value_names_the_file_key():
    with pytest.raises(OptionError, match=r"^config file key purge_batch: 'x' is not an integer"):
        build_config({"purge_batch": "x"}, {}, {})


@pytest.mark.parametrize("url", ["sqlite:", "sqlite://", "mysql://h/db", "token-shim.db",
                                 "postgresql://h:port/db", "postgresql:db",
                                 "postgresql://u@h1:5432,h2:x/db"])
def test_malformed_database_urls_are_refused(url):
    with pytest.raises(OptionError, match="--db: .* (database|PostgreSQL) URL|names no file"):
        build_config({}, {}, {"db": url})


@pytest.mark.parametrize("url", ["sqlite:///./token-shim.db", "sqlite:////var/lib/shim.db",
                                 "sqlite:/x.db", "sqlite::memory:", "postgresql://u@h/db",
                                 "postgres://u:p@h:5433/db?sslmode=require",
                                 "postgresql://u@h1:5432,h2:5432/shim?target_session_attrs=read-write",
                                 "postgresql://u@h1,h2/shim"])
def test_database_urls_in_use_are_accepted(url):
    assert build_config({}, {}, {"db": url}).db == url


def test_a_multi_host_url_is_shown_with_every_host_and_no_password():
    from shim.store.factory import display_url

    url = "postgresql://u:secret@h1:5432,h2:5433/shim?target_session_attrs=read-write"
    assert display_url(url) == "postgresql://u@h1:5432,h2:5433/shim"


def test_a_short_bootstrap_password_is_left_to_start_up_where_the_store_says_if_it_is_used():
    """Issue 25.6: checked only when `admin` is created (shim.app), so an ignored one
    cannot stop a restart."""
    assert build_config({}, {"TOKEN_SHIM_BOOTSTRAP_PASSWORD": "short-pw"}, {}).bootstrap_password


def test_a_twelve_character_bootstrap_password_is_accepted():
    assert build_config({}, {}, {"bootstrap_password": "x" * 12}).bootstrap_password == "x" * 12


def test_the_test_suites_passwords_meet_the_minimum():
    from tests import conftest, live

    assert len(conftest.ADMIN_PASSWORD) >= MIN_PASSWORD_LENGTH
    assert len(live.ADMIN_PASSWORD) >= MIN_PASSWORD_LENGTH

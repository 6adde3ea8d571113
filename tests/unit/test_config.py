import pytest

from shim.config import build_config


def test_defaults_run_on_a_local_sqlite_file():
    config = build_config({}, {}, {})
    assert config.db == "sqlite:///./token-shim.db" and config.port == 8080
    assert config.purge_interval == 3600.0 and config.clusters == ("local",)


def test_flags_win_over_environment_over_file():
    file = {"port": 1, "host": "0.0.0.0", "db": "sqlite:///f.db"}
    env = {"TOKEN_SHIM_PORT": "2", "TOKEN_SHIM_HOST": "10.0.0.1"}
    config = build_config(file, env, {"port": 3})
    assert (config.port, config.host, config.db) == (3, "10.0.0.1", "sqlite:///f.db")


def test_environment_values_are_converted():
    env = {"TOKEN_SHIM_TOKEN_HASHING_DEFAULT": "true", "TOKEN_SHIM_CLUSTERS": "local, c2",
           "TOKEN_SHIM_PURGE_INTERVAL": "0.5"}
    config = build_config({}, env, {})
    assert config.token_hashing_default is True and config.clusters == ("local", "c2")
    assert config.purge_interval == 0.5


def test_cattle_environment_and_file_pin_settings():
    file = {"pinned_settings": {"kubeconfig-generate-token": False}}
    env = {"CATTLE_AUTH_TOKEN_MAX_TTL_MINUTES": "60"}
    config = build_config(file, env, {})
    assert config.pinned_settings == {"kubeconfig-generate-token": "false",
                                      "auth-token-max-ttl-minutes": "60"}


def test_unknown_file_keys_and_pins_are_errors():
    with pytest.raises(ValueError, match="unknown config file keys: prot"):
        build_config({"prot": 1}, {}, {})
    with pytest.raises(ValueError, match="unknown pinned settings: server-url"):
        build_config({"pinned_settings": {"server-url": "x"}}, {}, {})


def test_bad_boolean_is_an_error():
    with pytest.raises(ValueError, match="not a boolean"):
        build_config({}, {"TOKEN_SHIM_TOKEN_HASHING_DEFAULT": "maybe"}, {})

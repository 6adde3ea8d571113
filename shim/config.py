"""Server configuration: defaults < YAML file < TOKEN_SHIM_* environment < flags.

Pure: the environment and the file's text are passed in, nothing is read here
except through `load_file`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from shim.settings_catalog import SETTINGS, env_name


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    db: str = "sqlite:///./token-shim.db"
    bootstrap_password: str | None = None
    max_body_bytes: int = 64 * 1024
    max_in_flight: int = 512  # concurrent requests before 429 + Retry-After
    purge_interval: float = 3600.0
    purge_batch: int = 200
    cache_refresh_interval: float = 5.0  # seconds: the most a replica's cached settings lag
    token_hashing_default: bool = False
    clusters: tuple[str, ...] = ("local",)
    public_url: str | None = None
    log_level: str = "info"
    tls_cert: str | None = None  # PEM server certificate (chain) to serve HTTPS with
    tls_key: str | None = None
    tls_ca: str | None = None  # PEM CA embedded in generated kubeconfigs
    tls_self_signed: bool = False  # create (once) and serve a CA-signed cert in data_dir/tls
    tls_sans: tuple[str, ...] = ()  # extra names/IPs for the self-signed server cert
    data_dir: str | None = None  # default: the SQLite file's directory, else "."
    exec_command: str = "token-shim"  # the exec credential plugin named in kubeconfigs
    server_version: str = "v2.13.0"  # the Rancher API level the v3 face reports (server-version)
    log_format: str = "text"  # text or json
    audit_log: str = "stderr"  # stderr, a file path, or off
    metrics: str = "admin"  # /metrics: off, public, or admin (an admin bearer)
    login_throttle_user_burst: int = 5  # failed logins per username before backoff
    login_throttle_ip_burst: int = 20  # failed logins per client address before backoff
    login_throttle_base: float = 1.0  # seconds of the first backoff; doubles per failure
    login_throttle_max: float = 300.0  # the longest backoff, in seconds
    login_throttle_decay: float = 300.0  # seconds after which one failure is forgotten
    pinned_settings: Mapping[str, str] = field(default_factory=dict)


_CONVERT = {
    "port": int,
    "max_body_bytes": int,
    "max_in_flight": int,
    "purge_interval": float,
    "purge_batch": int,
    "cache_refresh_interval": lambda v: _positive(float(v)),
    "token_hashing_default": lambda v: _bool(v),
    "clusters": lambda v: tuple(_list(v)),
    "tls_self_signed": lambda v: _bool(v),
    "tls_sans": lambda v: tuple(_list(v)),
    "login_throttle_user_burst": int,
    "login_throttle_ip_burst": int,
    "login_throttle_base": float,
    "login_throttle_max": float,
    "login_throttle_decay": float,
    "log_format": lambda v: _one_of(v, "text", "json"),
    "metrics": lambda v: _one_of(v, "off", "public", "admin"),
    "audit_log": lambda v: "off" if v is False else str(v),  # YAML reads `off` as false
}


def _one_of(value: Any, *allowed: str) -> str:
    text = "off" if value is False else str(value).strip().lower()
    if text not in allowed:
        raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
    return text


def _positive(value: float) -> float:
    if not value > 0:
        raise ValueError(f"{value!r} is not a positive number")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


OPTIONS = tuple(f.name for f in dataclasses.fields(Config) if f.name != "pinned_settings")


def load_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the config file must be a YAML mapping")
    return data


def build_config(
    file_data: Mapping[str, Any], environ: Mapping[str, str], flags: Mapping[str, Any]
) -> Config:
    """Merge the three layers; unknown file keys are an error, not silently ignored."""
    values: dict[str, Any] = {}
    unknown = set(file_data) - set(OPTIONS) - {"pinned_settings"}
    if unknown:
        raise ValueError(f"unknown config file keys: {', '.join(sorted(unknown))}")
    values.update({k: v for k, v in file_data.items() if k in OPTIONS})
    for name in OPTIONS:
        env = environ.get(f"TOKEN_SHIM_{name.upper()}")
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in flags.items() if v is not None and k in OPTIONS})
    converted = {k: _CONVERT.get(k, lambda v: v)(v) for k, v in values.items()}
    pins = _pins(file_data.get("pinned_settings") or {}, environ)
    return Config(**converted, pinned_settings=pins)


def _pins(from_file: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Settings fixed outside the API: the file's `pinned_settings`, then CATTLE_* env."""
    unknown = set(from_file) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown pinned settings: {', '.join(sorted(unknown))}")
    pins = {name: _text(value) for name, value in from_file.items()}
    for name in SETTINGS:
        if env_name(name) in environ:
            pins[name] = environ[env_name(name)]
    return pins


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

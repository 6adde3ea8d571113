"""Server configuration: defaults < YAML file < TOKEN_SHIM_* environment < flags.

Pure: the environment and the file's text are passed in, nothing is read here
except through `load_file`.
"""

from __future__ import annotations

from dataclasses import field, make_dataclass
from typing import Any, Mapping

import yaml

import difflib

from shim.options import BY_NAME, OPTIONS, Option
from shim.settings_catalog import SETTINGS, env_name


class OptionError(ValueError):
    """A bad option value; the message names where it came from and the option."""


def _field(option: Option) -> tuple[str, Any, Any]:
    return option.name, Any, field(default=option.default)


# One field per row of shim.options.OPTIONS, plus the settings pinned outside the API and
# the directory `serve --workers` gives its workers to sum their metrics in (not an option).
Config = make_dataclass(
    "Config",
    [*map(_field, OPTIONS), ("pinned_settings", Mapping[str, str], field(default_factory=dict)),
     ("file_keys", frozenset, field(default=frozenset(), compare=False)),  # set in the file
     ("metrics_dir", Any, field(default=None))],
    frozen=True,
)
Config.__module__ = __name__
Config.__doc__ = "The server's configuration: see shim.options for every field."

OPTION_NAMES = tuple(BY_NAME)


def load_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    with open(path, encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh) or {}
        except yaml.YAMLError as exc:
            raise OptionError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise OptionError(f"{path}: the config file must be a YAML mapping")
    return data


def build_config(
    file_data: Mapping[str, Any], environ: Mapping[str, str], flags: Mapping[str, Any]
) -> Config:
    """Merge the three layers; unknown file keys are an error, not silently ignored.

    Each value is converted where it was given, so an error names its source:
    the flag, the environment variable or the file key.
    """
    unknown = set(file_data) - set(OPTION_NAMES) - {"pinned_settings"}
    if unknown:
        named = ", ".join(map(_with_hint, sorted(unknown)))
        raise OptionError(f"unknown config file keys: {named}")
    values: dict[str, Any] = {}
    for option in OPTIONS:
        layers = (
            (f"config file key {option.key}", file_data.get(option.name)),
            (option.env, environ.get(option.env)),
            (option.flag, flags.get(option.name)),
        )
        for source, raw in layers:
            if raw is not None:
                values[option.name] = _converted(option, source, raw)
    pins = _pins(file_data.get("pinned_settings") or {}, environ)
    from_file = frozenset(o.name for o in OPTIONS if file_data.get(o.name) is not None
                          and environ.get(o.env) is None and flags.get(o.name) is None)
    return Config(**values, pinned_settings=pins, file_keys=from_file)


def _with_hint(key: str) -> str:
    """`bootstrap-password` -> `bootstrap-password (did you mean bootstrap_password?)`."""
    close = difflib.get_close_matches(key.replace("-", "_").lower(), OPTION_NAMES, n=1)
    return f"{key} (did you mean {close[0]}?)" if close else key


def named(config: Config, name: str) -> str:
    """An option as a message names it: its config file key when its value came from the
    file, else its flag."""
    option = BY_NAME[name]
    return f"config file key {option.key}" if name in config.file_keys else option.flag


def where(config: Config, name: str) -> str:
    """How a start-up message names an option: the config file key when its value came
    from the file (that is what the user edits), else its flag and variable."""
    option = BY_NAME[name]
    if name in config.file_keys:
        return f"config file key {option.key}"
    return f"option {name}: {option.flag}, {option.env}"


def _converted(option: Option, source: str, raw: Any) -> Any:
    try:
        return option.convert(raw)
    except ValueError as exc:
        shown = "the value" if option.secret else repr(raw)
        named = "" if source == option.flag else f" (option {option.name})"
        raise OptionError(f"{source}: {shown} {exc}{named}") from None


def _pins(from_file: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Settings fixed outside the API: the file's `pinned_settings`, then CATTLE_* env."""
    unknown = set(from_file) - set(SETTINGS)
    if unknown:
        raise OptionError(f"unknown pinned settings: {', '.join(sorted(unknown))}")
    pins = {name: _text(value) for name, value in from_file.items()}
    for name in SETTINGS:
        if env_name(name) in environ:
            pins[name] = environ[env_name(name)]
    return pins


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

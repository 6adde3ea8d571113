"""The five token settings Rancher defines, with their defaults."""

from __future__ import annotations

SESSION_TTL = "auth-user-session-ttl-minutes"
IDLE_TTL = "auth-user-session-idle-ttl-minutes"
KUBECONFIG_TTL = "kubeconfig-default-token-ttl-minutes"
MAX_TTL = "auth-token-max-ttl-minutes"
KUBECONFIG_GENERATE_TOKEN = "kubeconfig-generate-token"

SETTINGS: dict[str, str] = {
    SESSION_TTL: "960",
    IDLE_TTL: "960",
    KUBECONFIG_TTL: "43200",
    MAX_TTL: "129600",
    KUBECONFIG_GENERATE_TOKEN: "true",
}

BOOLEAN_SETTINGS = frozenset({KUBECONFIG_GENERATE_TOKEN})


def env_name(setting: str) -> str:
    """Rancher's environment variable for a setting: CATTLE_ + upper snake case."""
    return "CATTLE_" + setting.upper().replace("-", "_")

"""The expiry picker of a new API key, clamped by auth-token-max-ttl-minutes. Pure."""

from __future__ import annotations

MINUTE_MS = 60_000
PRESETS = ((60, "1 hour"), (1440, "1 day"), (10080, "7 days"), (43200, "30 days"),
           (129600, "90 days"), (525600, "1 year"))


def choices(max_minutes: int) -> list[tuple[int, str]]:
    """(ttl in milliseconds, label) pairs; "Never" only when there is no maximum (0)."""
    if max_minutes <= 0:
        return [(m * MINUTE_MS, label) for m, label in PRESETS] + [(0, "Never")]
    found = [(m * MINUTE_MS, label) for m, label in PRESETS if m < max_minutes]
    found.append((max_minutes * MINUTE_MS, f"{_span(max_minutes)} (the maximum)"))
    return found


def _span(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day" + ("s" if days != 1 else "")
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minutes"

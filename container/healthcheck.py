#!/usr/bin/env python3
"""The image's HEALTHCHECK: GET /healthz on this container's own port; exit 0 when it answers 200.

It reads the options from the environment (TOKEN_SHIM_PORT, TOKEN_SHIM_HOST, the TLS ones),
so set them there rather than as `docker run` arguments when the health check matters.
"""

import os
import ssl
import sys
import urllib.request

WILDCARDS = ("", "0.0.0.0", "::")
TRUE = ("1", "true", "yes", "on")


def url(env) -> str:
    host = env.get("TOKEN_SHIM_HOST", "")
    host = "127.0.0.1" if host in WILDCARDS else host
    host = f"[{host}]" if ":" in host else host
    scheme = "https" if tls(env) else "http"
    return f"{scheme}://{host}:{env.get('TOKEN_SHIM_PORT', '8080')}/healthz"


def tls(env) -> bool:
    return bool(env.get("TOKEN_SHIM_TLS_CERT")) or env.get("TOKEN_SHIM_TLS_SELF_SIGNED", "").lower() in TRUE


def main() -> int:
    # Only liveness is checked here: the certificate's names need not include 127.0.0.1.
    context = ssl._create_unverified_context() if tls(os.environ) else None
    try:
        with urllib.request.urlopen(url(os.environ), timeout=4, context=context) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"token-shim-healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

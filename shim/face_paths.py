"""Where each face lives, and the path a client meant when it glued two faces' paths.

A client given a face's URL as its base (Terraform's restapi provider with
`uri = "http://host:8080/v3"`) asks for `/v3/terraform/v1/tokens`: the 404 then
names `/terraform/v1/tokens`, the path it meant.
"""

from __future__ import annotations

FACE_PREFIXES = ("/v3-public", "/v1-public", "/v3", "/v1", "/terraform/v1", "/k8s/clusters",
                 "/dashboard")


def meant(path: str) -> tuple[str, str] | None:
    """(the base URL's extra prefix, the path meant) when `path` is a face's prefix glued
    to another face's path (or its own twice); None otherwise."""
    for prefix in FACE_PREFIXES:
        rest = path[len(prefix):]
        if path.startswith(prefix) and rest.startswith("/") and _under_a_face(rest):
            return prefix, rest
    return None


def _under_a_face(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in FACE_PREFIXES)


def not_found_message(path: str) -> str:
    glued = meant(path)
    if glued is None:
        return f"{path} not found"
    prefix, rest = glued
    return (f"{path} not found: did you mean {rest}? A client's base URL is the server's root "
            f"(http(s)://host:port), without {prefix}")

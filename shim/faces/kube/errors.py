"""Kubernetes `Status` errors of the kube face (rendered by shim.errors.render)."""

from __future__ import annotations

from shim.errors import ApiError, brief


def subject(resource, name: str | None = None) -> dict[str, str]:
    """`details` of a Status about `name` of `resource` (a table.Resource)."""
    found = {"group": resource.group, "kind": resource.plural}
    return found | ({"name": name} if name else {})


def not_found(resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource.qualified} "{name}" not found',
                    subject=subject(resource, name))


def forbidden(resource, user: str, verb: str, name: str | None = None,
              why: str = "") -> ApiError:
    what = f'{resource.qualified} "{name}"' if name else resource.qualified
    reason = why or (f'User "{user}" cannot {verb} resource "{resource.plural}" in API group '
                     f'"{resource.group}" at the cluster scope')
    return ApiError(403, "Forbidden", f"{what} is forbidden: {reason}",
                    subject=subject(resource, name))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(resource, name: str, field: str, value, rule: str) -> ApiError:
    """422 Invalid with one cause: kubectl prints `The <Kind> "<name>" is invalid: ...`."""
    return ApiError(
        422, "Invalid", f'{resource.kind}.{resource.group} "{name}" is invalid: {field}: '
        f"Invalid value: {brief(value)}: {rule}",
        [{"field": field, "value": value, "rule": rule}],
        subject={"name": name, "group": resource.group, "kind": resource.kind},
    )


def conflict(resource, name: str) -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {resource.qualified} '
                    f'"{name}": the object has been modified; please apply your changes to the '
                    "latest version and try again", subject=subject(resource, name))


def with_subject(err: ApiError, resource, name: str | None) -> ApiError:
    """`err` from the shared core, with the Status details kubectl shows."""
    if not err.subject:
        err.subject = subject(resource, name)
    return err

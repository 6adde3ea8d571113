"""Test helpers: a controllable clock and a thin JSON client over real HTTP."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

LOGIN = "/v3-public/localProviders/local?action=login"


class Clock:
    """Epoch milliseconds that move only when the test says so."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


class Api:
    """Requests as one bearer; `as_(bearer)` gives the same client as someone else."""

    def __init__(self, client, bearer: str | None = None) -> None:
        self.client = client
        self.bearer = bearer
        self.admin_id = ""

    def as_(self, bearer: str | None) -> "Api":
        other = Api(self.client, bearer)
        other.admin_id = self.admin_id
        return other

    async def request(self, method: str, path: str, body: Any = None, **kw) -> Reply:
        headers = dict(kw.pop("headers", {}))
        if self.bearer and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.bearer}"
        if body is not None:
            kw["json"] = body
        async with self.client.request(method, path, headers=headers, **kw) as resp:
            text = await resp.text()
            parsed = _json(text) if text else None
            return Reply(resp.status, parsed, resp.headers)

    async def get(self, path: str, **kw) -> Reply:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw) -> Reply:
        return await self.request("POST", path, body, **kw)

    async def put(self, path: str, body: Any = None, **kw) -> Reply:
        return await self.request("PUT", path, body, **kw)

    async def delete(self, path: str, **kw) -> Reply:
        return await self.request("DELETE", path, **kw)

    async def login(self, username: str, password: str, **extra) -> Reply:
        return await self.as_(None).post(LOGIN, {"username": username, "password": password, **extra})

    async def login_as_admin(self, password: str) -> None:
        reply = await self.login("admin", password)
        assert reply.status == 201, reply.body
        self.bearer = reply.body["token"]
        self.admin_id = reply.body["userId"]

    async def new_user(self, username: str, password: str = "user-password-1", **extra) -> "Api":
        """Create a user as this (admin) client and return a client logged in as them."""
        made = await self.post("/v3/users", {"username": username, "password": password, **extra})
        assert made.status == 201, made.body
        reply = await self.login(username, password)
        assert reply.status == 201, reply.body
        user = self.as_(reply.body["token"])
        user.user_id = made.body["id"]
        return user

    async def new_token(self, **body) -> dict:
        reply = await self.post("/v3/tokens", body)
        assert reply.status == 201, reply.body
        return reply.body


def basic(bearer: str) -> str:
    return "Basic " + base64.b64encode(bearer.encode()).decode()


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text

"""The API key that guards writes, checked from the headers before a request's body is read.

FastAPI reads (and spools to disk) a multipart body before it runs a route's dependencies, so
a key checked only there lets an unauthenticated caller send a whole upload first.
``KeyBeforeBody`` looks up the route a request is for and, when the route depends on
``ApiKey.require``, refuses a missing or wrong key from the headers alone.

>>> key = ApiKey("secret")
>>> key.allows({"x-api-key": "secret"}), key.allows({"authorization": "Bearer nope"})
(True, False)
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import Match

KEY_MISSING = "需要有效的 API 密钥（请求头 X-API-Key 或 Authorization: Bearer）"


class ApiKey:
    """``REGKB_API_KEY``: when set, writes need it; without it nothing is guarded."""

    def __init__(self, key: str | None):
        self.key = key

    def allows(self, headers: Mapping[str, str]) -> bool:
        if not self.key:
            return True
        given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(given.strip().encode(), self.key.encode())

    def proven(self, headers: Mapping[str, str]) -> bool:
        """The caller holds the key (not merely: no key is needed)."""
        return bool(self.key) and self.allows(headers)

    def require(self, request: Request) -> None:
        """The dependency of a guarded route (also what ``KeyBeforeBody`` looks for)."""
        if not self.allows(request.headers):
            raise HTTPException(401, KEY_MISSING)


class KeyBeforeBody:
    """ASGI middleware: a guarded route's key is checked before its body is received."""

    def __init__(self, app, key: ApiKey):
        self.app = app
        self.key = key

    def guarded(self, scope) -> bool:
        for route in scope["app"].router.routes:
            if route.matches(scope)[0] == Match.FULL:
                return any(depends.dependency == self.key.require for depends in getattr(route, "dependencies", ()))
        return False

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self.key.allows(Headers(scope=scope)) and self.guarded(scope):
            return await JSONResponse({"detail": KEY_MISSING}, status_code=401)(scope, receive, send)
        return await self.app(scope, receive, send)

"""The API key (``REGKB_API_KEY``) as every part of the service reads it: ``X-API-Key: …`` or
``Authorization: Bearer …``, compared in constant time; and checked from the headers before
a guarded route's body is read.

FastAPI reads (and spools to disk) a multipart body before it runs a route's dependencies, so
a key checked only there lets an unauthenticated caller send a whole upload first.
``KeyBeforeBody`` looks up the route a request is for and, when the route depends on the
guard it is given (``dependencies.require_key``), refuses a missing or wrong key from the
headers alone.

>>> key_matches({"authorization": "Bearer s3cret"}, "s3cret")
True
>>> key = ApiKey("s3cret")
>>> key.allows({"x-api-key": "s3cret"}), key.allows({"authorization": "Bearer nope"})
(True, False)
"""

import hmac
from collections.abc import Callable, Mapping

from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.routing import Match

KEY_REQUIRED = "需要有效的 API 密钥（请求头 X-API-Key 或 Authorization: Bearer）"


def same_key(given: str, api_key: str) -> bool:
    return hmac.compare_digest(given.strip().encode(), api_key.encode())


def key_matches(headers: Mapping[str, str], api_key: str) -> bool:
    """Whether the request's headers (lower-case names, or Starlette's ``Headers``) carry the key."""
    given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
    return same_key(given, api_key)


class ApiKey:
    """When a key is set, guarded routes need it; without one nothing is guarded."""

    def __init__(self, key: str | None):
        self.key = key

    def allows(self, headers: Mapping[str, str]) -> bool:
        return not self.key or key_matches(headers, self.key)

    def proven(self, headers: Mapping[str, str]) -> bool:
        """The caller holds the key (not merely: no key is needed)."""
        return bool(self.key) and key_matches(headers, self.key)


class KeyBeforeBody:
    """ASGI middleware: a guarded route's key is checked before its body is received."""

    def __init__(self, app, key: ApiKey, guard: Callable):
        self.app = app
        self.key = key
        self.guard = guard  # the dependency that marks a route as guarded

    def guarded(self, scope) -> bool:
        # an included router is one node of the app's routes: its routes are expanded here
        for route in iter_route_contexts(scope["app"].router.routes):
            if route.matches(scope)[0] == Match.FULL:
                dependencies = getattr(route.original_route, "dependencies", ())
                return any(depends.dependency is self.guard for depends in dependencies)
        return False

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self.key.allows(Headers(scope=scope)) and self.guarded(scope):
            return await JSONResponse({"detail": KEY_REQUIRED}, status_code=401)(scope, receive, send)
        return await self.app(scope, receive, send)

"""The API key (``REGKB_API_KEY``) as every part of the service reads it: ``X-API-Key: …`` or
``Authorization: Bearer …``, compared in constant time.

>>> key_matches({"authorization": "Bearer s3cret"}, "s3cret")
True
"""

import hmac
from collections.abc import Mapping

KEY_REQUIRED = "需要有效的 API 密钥（请求头 X-API-Key 或 Authorization: Bearer）"


def same_key(given: str, api_key: str) -> bool:
    return hmac.compare_digest(given.strip().encode(), api_key.encode())


def key_matches(headers: Mapping[str, str], api_key: str) -> bool:
    """Whether the request's headers (lower-case names, or Starlette's ``Headers``) carry the key."""
    given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
    return same_key(given, api_key)

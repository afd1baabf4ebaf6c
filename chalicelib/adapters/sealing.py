"""Secrets the register must hold for a while, sealed: the access code in an intake's stored answer
(idempotency) and in the outbox's receipt notice until it is sent.

AES-GCM under a key derived from the app's secret and the purpose, which the deployment holds and the
table does not; a tampered value fails to open.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from typing import Any

from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer


class Seal:
    def __init__(self, secret: bytes, purpose: bytes) -> None:
        self._key = hmac.new(secret, purpose, hashlib.sha256).digest()

    @functools.cached_property
    def _aead(self) -> Any:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only the paths that seal load it

        return AESGCM(self._key)

    def close(self, data: Any) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, json.dumps(data, ensure_ascii=False).encode(), None)
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> Any:
        raw = base64.b64decode(sealed)
        return json.loads(self._aead.decrypt(raw[:12], raw[12:], None))


class SealedReply(BaseIdempotencySerializer):
    """Stores the answer encrypted and authenticated, loaded by the first request with an Idempotency-Key."""

    def __init__(self, secret: bytes) -> None:
        self._seal = Seal(secret, b"idempotency-reply")

    def to_dict(self, data: Any) -> dict[str, Any]:
        return {"sealed": self._seal.close(data)}

    def from_dict(self, data: dict[str, Any]) -> Any:
        return self._seal.open(data["sealed"])

"""The idempotency record's stored answer, sealed: it holds the access code shown once at intake.

AES-GCM under a key derived from the app's secret, which the deployment holds and the table does not.
Loaded with powertools' idempotency, by the first request with an Idempotency-Key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer


class SealedReply(BaseIdempotencySerializer):
    """Stores the answer encrypted and authenticated (a tampered record fails to open)."""

    def __init__(self, secret: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # only requests with a key need it

        self._aead = AESGCM(hmac.new(secret, b"idempotency-reply", hashlib.sha256).digest())

    def to_dict(self, data: Any) -> dict[str, Any]:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, json.dumps(data, ensure_ascii=False).encode(), None)
        return {"sealed": base64.b64encode(nonce + sealed).decode()}

    def from_dict(self, data: dict[str, Any]) -> Any:
        raw = base64.b64decode(data["sealed"])
        return json.loads(self._aead.decrypt(raw[:12], raw[12:], None))

"""Identifiers and codes given to a case.

- `id`: time-ordered, 26 characters (ULID layout, Crockford base32) — for staff and storage.
- `tracking_code`: 12 digits, the last a Luhn check digit, so a code read out on the phone or
  typed with one wrong or two swapped digits is recognised as wrong before any look-up.
- upload ids: 128 random bits (evidence files' keys are made of them).
- `access_code`: 8 random digits shown once. Only a keyed hash is kept: HMAC-SHA256 under the app's
  secret (held by the deployment, never in the table) over the tracking code and the access code.
  A slow hash (scrypt) would cost ~0.5 s per look on a small Lambda and still lose to an offline
  attacker holding the table, since 10^8 codes are few; without the key the table reveals nothing,
  and online guessing is bounded by the attempt budgets (README, "Guessing").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SCHEME = "hmac-sha256"
TRACKING_CODE_LENGTH = 12
ACCESS_CODE_LENGTH = 8


def new_case_id(now: datetime) -> str:
    value = (int(now.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_upload_id() -> str:
    """An upload's id, and the random part of its files' keys: 128 random bits, URL-safe (22 characters),
    so a key can be neither guessed nor chosen to overwrite another file."""
    return secrets.token_urlsafe(16)


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def new_tracking_code() -> str:
    body = str(secrets.randbelow(9 * 10 ** (TRACKING_CODE_LENGTH - 2)) + 10 ** (TRACKING_CODE_LENGTH - 2))
    return body + _luhn_digit(body)


def normalise_tracking_code(raw: str) -> str | None:
    """The canonical form of a code as a person might type it (spaces, dashes), or None if it cannot be one."""
    digits = re.sub(r"[\s-]", "", raw)
    if len(digits) != TRACKING_CODE_LENGTH or not digits.isascii() or not digits.isdigit():
        return None
    return digits if _luhn_digit(digits[:-1]) == digits[-1] else None


def new_access_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(ACCESS_CODE_LENGTH))


def hash_access_code(code: str, tracking_code: str, key: bytes) -> str:
    digest = hmac.new(key, f"{tracking_code}:{code}".encode(), hashlib.sha256).digest()
    return f"{_SCHEME}${base64.b64encode(digest).decode()}"


#: Compared against when no case has the tracking code, so an unknown code costs what a wrong one does.
_ABSENT = f"{_SCHEME}${base64.b64encode(bytes(32)).decode()}"


def access_code_matches(code: str, tracking_code: str, stored: str | None, key: bytes) -> bool:
    """Constant work whether or not `stored` exists: one HMAC and one constant-time comparison."""
    candidate = hash_access_code(code[:64], tracking_code, key)
    return hmac.compare_digest(candidate, stored or _ABSENT) and stored is not None

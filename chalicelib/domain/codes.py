"""Identifiers and codes given to a case.

- `id`: time-ordered, 26 characters (ULID layout, Crockford base32) — for staff and storage.
- `tracking_code`: 12 digits, the last a Luhn check digit, so a code read out on the phone or
  typed with one wrong or two swapped digits is recognised as wrong before any look-up.
- `access_code`: 8 random digits shown once; only a salted scrypt hash is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
TRACKING_CODE_LENGTH = 12
ACCESS_CODE_LENGTH = 8


def new_case_id(now: datetime) -> str:
    value = (int(now.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


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


def hash_access_code(code: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def access_code_matches(code: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(code.encode()[:64], salt=base64.b64decode(salt_b64), **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))

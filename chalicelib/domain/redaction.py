"""The complainant's identity taken out of free text, so a complaint can be shown to the respondent and to
staff who may not know who complained.

Each match is replaced by MASK. Two kinds of match:

- By pattern, whoever the data belongs to:
  - mobile numbers: 1[3-9]x grouped 3-4-4 with any separators or none, also "(139)12345678", optionally after
    +86 / 0086 / 86 (written "+86 ", "86-", "(+86)", ...);
  - fixed-line numbers: area code 010, 02x or 0xxx, then a 7-8 digit local number grouped 3-4 or 4-4, the 0
    optional after +86 / 0086, with an optional extension ("-123", "转123", "分机123", "ext 123");
  - e-mail addresses (ASCII, any case);
  - resident ID numbers: 18 characters ending in a digit or X, or the old 15 digits, plain or grouped 6-8-4
    / 6-6-3;
  - bank card numbers: 16-19 digits, plain or in groups of 4.
- By value: each string of `identity`. One shaped like a phone number (7 or more digits and only + - . ( )
  and spaces) is matched by its digits whatever the separators, with or without +86 / 0086 / a trunk 0;
  anything else (name, address, e-mail) case-insensitively, with whitespace in it matching any or no
  whitespace, anywhere in the text (Chinese has no spaces: "我张三在该店"), though an end that is an ASCII
  letter or digit must not run on into another one ("Li" is not taken out of "Limited").

Matching runs on a per-character NFKC fold of the text, so full-width digits, letters, ＠, －, （） and the
ideographic space count as their ASCII forms while every index stays where it was: the output is the input
with the matched spans (overlapping or touching ones merged) replaced, and nothing else changed.

Trade-off: every pattern needs at least 11 digits (a fixed-line number with its area code has 11 or 12), so
prices, dates (2026-11-01, 20261101), times, quantities, region codes and order numbers of up to 10 digits
stay, while an order or waybill number of 11 or more digits shaped like a phone, ID or card number is masked
as well: hiding a reference staff can look up again is the cheaper mistake. A local number written without
its area code is not recognised as a phone unless it is the complainant's own, given in `identity`.

Idempotent: a mask never matches (no pattern admits ＊, and an identity value containing * is ignored), and
every look-around that refuses a digit or letter next to a match also refuses ＊, so a second pass does not
find a match the first pass had refused because of a character now masked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MASK = "＊＊＊"
_MASK_CHAR = MASK[0]  # kept as it is by _fold, so look-arounds can tell a mask from an ASCII *

_DASHES = r"\-\u2010-\u2015\u2212"  # ASCII hyphen and the dashes and minus people type in Chinese text
# Between two digit groups: a dash or dot (spaces around it allowed), spaces alone, or nothing.
_SEP = rf"(?:[ \t]*[{_DASHES}.][ \t]*|[ \t]+)?"
_COUNTRY = rf"\(?(?:\+[ \t]?|00)?86\)?{_SEP}"
_MOBILE = rf"(?:{_COUNTRY})?\(?1[3-9][0-9]\)?{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}"
# The area code's trunk 0 is required unless a country code comes first: that keeps 10-digit runs
# such as order numbers out, since 0 + a 2-digit area takes 8 local digits and 0 + a 3-digit one 7 or 8.
_FIXED = (
    rf"(?:{_COUNTRY}\(?0?|\(?0)"
    rf"(?:(?:10|2[0-9])\)?{_SEP}[0-9]{{4}}|[3-9][0-9]{{2}}\)?{_SEP}[0-9]{{3,4}}){_SEP}[0-9]{{4}}"
    rf"(?:[ \t]*(?:[{_DASHES}]|转|分机|ext\.?)[ \t]*[0-9]{{1,6}})?"
)
_RESIDENT_ID = rf"[0-9]{{6}}{_SEP}(?:[0-9]{{8}}{_SEP}[0-9]{{3}}[0-9Xx]|[0-9]{{6}}{_SEP}[0-9]{{3}})"
_BANK_CARD = rf"[0-9]{{4}}(?:{_SEP}[0-9]{{4}}){{3}}(?:{_SEP}[0-9]{{1,3}})?"

# Each pattern on its own (not one alternation) so the union of their spans covers the longest reading.
_PATTERNS = (
    *(
        re.compile(rf"(?<![0-9{_MASK_CHAR}])(?:{p})(?![0-9{_MASK_CHAR}])", re.IGNORECASE)
        for p in (_MOBILE, _FIXED, _RESIDENT_ID, _BANK_CARD)
    ),
    # A local part starts only after a character that cannot be inside one (the dot is left out of that set
    # so "x@y.cn" right after "a@b.cn." is still found); the RFC's 64 and 63 character limits keep a long
    # "a.a.a..." run from being rescanned from every dot.
    re.compile(
        rf"(?<![A-Za-z0-9_%+\-{_MASK_CHAR}])[A-Za-z0-9._%+\-]{{1,64}}@"
        r"[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,63}",
        re.IGNORECASE,
    ),
)

_PHONE_VALUE = re.compile(rf"[0-9+().{_DASHES} \t]+")
_LOOSE = rf"[ \t().{_DASHES}]{{0,3}}"  # anything a person puts between the digits of a phone number
_MIN_PHONE_DIGITS = 7


def _fold_char(ch: str) -> str:
    if ch == _MASK_CHAR:
        return ch
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch  # "㎏" → "kg" would shift every later index


def _fold(text: str) -> str:
    return text if text.isascii() else "".join(map(_fold_char, text))


def _phone_pattern(digits: str) -> re.Pattern[str] | None:
    # Reduce to the national number, then let the text carry any country code or trunk 0 it likes.
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) >= 12:  # a national number is at most 11 digits without its 0
        digits = digits[2:]
    digits = digits.removeprefix("0")
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    body = _LOOSE.join(digits)
    return re.compile(
        rf"(?<![0-9{_MASK_CHAR}])\(?(?:\(?(?:\+[ \t]?|00)?86\)?{_LOOSE})?(?:0{_LOOSE})?{body}(?![0-9{_MASK_CHAR}])"
    )


def _value_pattern(value: str) -> re.Pattern[str] | None:
    folded = unicodedata.normalize("NFKC", value).strip()
    # Without a letter or digit a value would mask punctuation everywhere; one with * is itself masked.
    if "*" in folded or not any(ch.isalnum() for ch in folded):
        return None
    digits = "".join(ch for ch in folded if ch.isascii() and ch.isdigit())
    if _PHONE_VALUE.fullmatch(folded) and len(digits) >= _MIN_PHONE_DIGITS:
        pattern = _phone_pattern(digits)
        if pattern is not None:
            return pattern
    word = f"A-Za-z0-9{_MASK_CHAR}"
    head = rf"(?<![{word}])" if folded[0].isascii() and folded[0].isalnum() else ""
    tail = rf"(?![{word}])" if folded[-1].isascii() and folded[-1].isalnum() else ""
    return re.compile(head + r"\s*".join(map(re.escape, folded.split())) + tail, re.IGNORECASE)


def redact(text: str, identity: Iterable[str | None] = ()) -> str:
    """`text` with personal data removed: by pattern (any phone number, e-mail, resident ID, bank card) and by
    value (the complainant's name, address, phone, e-mail as given in `identity`)."""
    folded = _fold(text)
    patterns = [*_PATTERNS, *(p for v in identity if v and (p := _value_pattern(v)) is not None)]
    # All spans of all patterns on the same text, merged: the order of the values does not matter, and a
    # short value inside a longer one (a name inside an address) is covered by the longer one's span.
    merged: list[list[int]] = []
    for start, end in sorted(m.span() for p in patterns for m in p.finditer(folded)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[str] = []
    cursor = 0
    for start, end in merged:
        pieces += (text[cursor:start], MASK)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)

"""How many SMS parts a text takes (3GPP TS 23.038; AWS End User Messaging counts the same way).

A text in the GSM 7-bit alphabet takes 160 characters in one part and 153 per part when split; any
other character (every Chinese one) makes the whole text UCS-2: 70 in one part, 67 per part, counted
in UTF-16 units. Extension characters (€, [ ] and the like) take two septets.
"""

from __future__ import annotations

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")


def is_gsm(text: str) -> bool:
    return all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text)


def parts(text: str) -> int:
    """The SMS parts `text` is sent in (an empty text still costs one). A character is never split
    across two parts: an extension character's escape and a surrogate pair stay together."""
    gsm = is_gsm(text)
    sizes = [2 if c in _GSM_EXTENSION else 1 for c in text] if gsm else [len(c.encode("utf-16-le")) // 2 for c in text]
    single, each = (160, 153) if gsm else (70, 67)
    if sum(sizes) <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > each:
            count, used = count + 1, 0
        used += size
    return count

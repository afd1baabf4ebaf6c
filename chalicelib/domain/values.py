"""Values people give, as pydantic types: free text (control characters other than newline and tab
dropped; text made only of invisible characters such as zero-width spaces is not text) and money
(CNY, never negative, in cents, never a float)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

#: Characters that take up no visible space though they are not whitespace or format characters.
_BLANK = frozenset("\u2800\u3164\u115f\u1160\uffa0")
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def clean_text(value: str) -> str:
    text = "".join(ch for ch in value.replace("\r\n", "\n") if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = text.strip()
    if not any(unicodedata.category(ch) not in _INVISIBLE and ch not in _BLANK for ch in text):
        raise ValueError("must contain visible text")
    return text


_CLEAN = AfterValidator(clean_text)
Text100 = Annotated[str, StringConstraints(max_length=100), _CLEAN]
Text200 = Annotated[str, StringConstraints(max_length=200), _CLEAN]
Text300 = Annotated[str, StringConstraints(max_length=300), _CLEAN]
Text500 = Annotated[str, StringConstraints(max_length=500), _CLEAN]
Text1000 = Annotated[str, StringConstraints(max_length=1000), _CLEAN]
Text2000 = Annotated[str, StringConstraints(max_length=2000), _CLEAN]
Text5000 = Annotated[str, StringConstraints(max_length=5000), _CLEAN]

CENT = Decimal("0.01")
Money = Annotated[
    Decimal, Field(ge=0, le=Decimal("1000000000"), decimal_places=2), AfterValidator(lambda d: d.quantize(CENT))
]

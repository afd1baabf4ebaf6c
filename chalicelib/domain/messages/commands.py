"""What an inbound SMS asks for (API.md, "Channels"): its first word, in Chinese or English, any case.

    投诉 / complaint, 举报 / report, 咨询 / enquiry, 建议 / suggestion   file a case of that kind
    查询 / status <tracking code>                                     the case's status
    退订 / TD / STOP, 订阅 / START                                     opt out of SMS, back in
    1 / 2 [reason]                                                    the follow-up survey
    anything else                                                     the help text

A Chinese keyword may run straight into the text ("投诉某超市卖过期牛奶"); full-width characters count
as their ASCII forms ("２", "ＳＴＯＰ").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from chalicelib.domain.case import Kind
from chalicelib.domain.codes import normalise_tracking_code


@dataclass(frozen=True)
class File:
    kind: Kind
    text: str  # what follows the keyword: the facts as written


@dataclass(frozen=True)
class Status:
    tracking_code: str | None  # None: not a valid code (answered as an unknown one)


@dataclass(frozen=True)
class OptOut:
    pass


@dataclass(frozen=True)
class OptIn:
    pass


@dataclass(frozen=True)
class Survey:
    satisfied: bool
    reason: str


@dataclass(frozen=True)
class Help:
    pass


Command = File | Status | OptOut | OptIn | Survey | Help

_FILE = {
    "投诉": Kind.COMPLAINT,
    "complaint": Kind.COMPLAINT,
    "举报": Kind.REPORT,
    "report": Kind.REPORT,
    "咨询": Kind.ENQUIRY,
    "enquiry": Kind.ENQUIRY,
    "建议": Kind.SUGGESTION,
    "suggestion": Kind.SUGGESTION,
}
_STATUS = ("查询", "status")
_OPT_OUT = ("退订", "td", "stop")
_OPT_IN = ("订阅", "start")
_SURVEY = {"1": True, "2": False}


def parse(body: str) -> Command:
    """The command `body` asks for; the text after a keyword is kept as written (only the keyword and a
    tracking code are read in their ASCII forms)."""
    first, *others = re.split(r"\s+", body.strip(), maxsplit=1)  # any space, the ideographic one too
    word, rest = unicodedata.normalize("NFKC", first).lower(), "".join(others)
    for keyword in (*_FILE, *_STATUS):  # a Chinese keyword need not be followed by a space
        if not keyword.isascii() and first.startswith(keyword) and first != keyword:
            word, rest = keyword, f"{first.removeprefix(keyword)} {rest}".strip()
    if word in _FILE:
        return File(_FILE[word], rest) if rest else Help()
    if word in _STATUS:
        return Status(normalise_tracking_code(unicodedata.normalize("NFKC", rest)))
    if word in _OPT_OUT and not rest:
        return OptOut()
    if word in _OPT_IN and not rest:
        return OptIn()
    if word in _SURVEY:
        return Survey(_SURVEY[word], rest)
    return Help()

"""What the centre tells a complainant at each milestone, in their language: the texts are files, one
per language (`zh-CN.json`, `en.json`), reviewed like code; this module fills them in.

A message carries facts of the process only (`FACTS`), never the complainant's own personal data: a
reply by SMS or e-mail may reach a shared phone or mailbox.
"""

from __future__ import annotations

import functools
import json
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
#: The milestones a complainant hears of, each a template with a subject (e-mail) and a text.
MILESTONES = (
    "received",
    "received_incomplete",
    "accepted",
    "rejected",
    "transferred",
    "extended",
    "mediation_scheduled",
    "responded",
    "answered",
    "survey_reminder",
    "closed",
    "appeal_decided",
    "access_code",
)
#: The answers to what a person sent in (an SMS command, a mail that could not be registered).
REPLIES = (
    "help",
    "status",
    "status_final",
    "unknown_code",
    "opted_out",
    "opted_in",
    "survey_thanks",
    "no_survey",
    "mail_refused",
)
#: What a message may say; codes (kind, reason, outcome) are put in words, dates in the language's form.
FACTS = frozenset(
    {
        "tracking_code",
        "access_code",
        "kind",
        "due_date",
        "reason",
        "transfer_to",
        "outcome",
        "mediation_at",
        "mediation_place",
        "mediator",
        "status",
        "problem",
        "link",
    }
)
#: Codes the books put in words: fact -> the book's section.
_WORDS = {"kind": "kinds", "reason": "reasons", "outcome": "outcomes", "status": "statuses", "problem": "problems"}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def language_of(tag: str | None) -> str:
    """The supported language closest to an IETF tag (`en-GB` → `en`); Chinese when unknown."""
    return "en" if tag and tag.lower().split("-")[0] == "en" else DEFAULT_LANGUAGE


@functools.cache
def book(language: str) -> dict[str, Any]:
    """One language's texts, read once."""
    if language not in LANGUAGES:
        raise ValueError(f"no texts in {language!r}")
    loaded: dict[str, Any] = json.loads((Path(__file__).parent / f"{language}.json").read_text(encoding="utf-8"))
    return loaded


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(milestone: str, language: str, **facts: Any) -> Message:
    """The milestone's (or reply's) message in `language`. Raises ValueError for a fact it may not carry or one it
    needs and was not given (a message is never sent half filled in)."""
    texts = book(language)
    if milestone not in MILESTONES and milestone not in REPLIES:
        raise ValueError(f"no milestone {milestone!r}")
    if extra := set(facts) - FACTS:
        raise ValueError(f"a message may not carry {sorted(extra)}")
    words = {name: _in_words(name, value, texts, language) for name, value in facts.items()}
    template = texts[milestone]
    if missing := (placeholders(template["subject"]) | placeholders(template["text"])) - set(words):
        raise ValueError(f"{milestone} needs {sorted(missing)}")
    return Message(template["subject"].format_map(words), template["text"].format_map(words))


def _in_words(name: str, value: Any, texts: dict[str, Any], language: str) -> str:
    if name in _WORDS:
        return str(texts[_WORDS[name]][str(value)])
    if name == "due_date" and isinstance(value, str):  # as a notice carries it (ISO)
        value = date.fromisoformat(value[:10])
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日" if language == "zh-CN" else value.strftime("%-d %b %Y")
    return str(value)

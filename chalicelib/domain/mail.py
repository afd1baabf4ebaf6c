"""One inbound e-mail as SES receipt stores it (raw RFC 5322 bytes, SES's own headers prepended): who sent
it, what it says, what it carries, and whether it may be answered. Plain Python, no AWS.

Anyone can write to us, so `parse` takes any bytes and never raises: what it cannot read is left empty
and named in `defects`. Text is never left with undecodable bytes in it (they would fail later, when it
is stored): what no charset reads becomes U+FFFD. GB2312 and GBK are read as GB18030, their superset,
because the clients that label mail GB2312 write GBK; unlabelled 8-bit text is UTF-8 if it is valid
UTF-8, else GB18030 if it is that (the likelier guess for mail sent to a Chinese authority).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import make_msgid, parseaddr
from html.parser import HTMLParser
from typing import Any, cast


@dataclass(frozen=True)
class Attachment:
    filename: str  # decoded, without any directory; "" when none given
    content_type: str  # as declared (never trusted: evidence.sniff decides)
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    sender: str | None  # the From addr-spec, domain lower-cased; None when there is none to read
    sender_name: str
    subject: str  # whitespace collapsed
    text: str  # the plain body, or the HTML one as text; quoted history kept (it may be the evidence)
    attachments: tuple[Attachment, ...]
    message_id: str | None
    automatic: bool  # sent by a machine or to a list: never answered (RFC 3834), or mail loops
    spam_or_virus: bool  # SES's verdict
    defects: tuple[str, ...]  # what could not be read, by name ("NoBoundaryInMultipartDefect")


_GB = frozenset({"gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "csgb2312", "gb_2312-80"})
_UNDECODED = re.compile("[\ufffd\ud800-\udfff]")  # replaced, or kept as surrogates by the email package
_BULK = frozenset({"bulk", "list", "junk", "auto_reply"})
_ROBOT = re.compile(r"mailer-daemon|postmaster|owner-.*|.*-request|.*no-?reply.*|.*do-?not-?reply.*", re.I)
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|回复|答复)\s*[:：])+\s*", re.I)


def parse(raw: bytes) -> InboundMail:
    """The mail in `raw`, read as far as it can be; never raises."""
    defects: list[str] = []
    for parsing in (policy.default, policy.compat32):  # the default policy's parser itself can raise (an
        try:  # IndexError on a MIME parameter cut short); the legacy one reads the body, not the addresses
            return _read(cast(EmailMessage, BytesParser(EmailMessage, policy=parsing).parsebytes(bytes(raw))), defects)
        except Exception as exc:  # nothing a stranger sends may stop the intake
            defects.append(type(exc).__name__)
    return InboundMail(None, "", "", "", (), None, True, False, tuple(dict.fromkeys(defects)))


def reply_headers(mail: InboundMail, our_domain: str) -> dict[str, str]:
    """Headers of our answer (RFC 3834 §3): In-Reply-To and References naming the mail, Auto-Submitted:
    auto-replied, Subject 'Re: <subject>' (subject cut to 120 chars, no double 'Re:'). Its own Message-ID is
    made in `our_domain` (else `make_msgid` asks DNS for the host's name); X-Auto-Response-Suppress keeps
    Exchange's out-of-office notices from answering it."""
    subject = _REPLY_PREFIX.sub("", mail.subject)[:120]
    headers = {
        "Message-ID": make_msgid(domain=our_domain),
        "Subject": f"Re: {subject}".strip(),
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
    }
    if mail.message_id:
        headers |= {"In-Reply-To": mail.message_id, "References": mail.message_id}
    return headers


def _read(msg: EmailMessage, defects: list[str]) -> InboundMail:
    headers = {name.lower(): _header(msg, name, defects) for name in dict.fromkeys(msg.keys())}
    value = {name: " ".join(str(h).split()) for name, h in headers.items() if h is not None}
    raw = {name.lower(): v for name, v in reversed(list(msg.raw_items()))}  # the first of each name
    sender, name = _sender(headers.get("from"), raw.get("from", ""))
    text, body = _body(msg, defects)
    attachments = []
    for part in (leaf for leaf in _leaves(msg) if all(leaf is not b for b in body)):
        try:
            if (filename := _filename(part, defects)) or part.get_content_maintype() != "text":
                attachments.append(Attachment(filename, part.get_content_type(), _data(part)))
        except Exception as exc:  # this part is lost, not the mail
            defects.append(type(exc).__name__)
    local = (sender or "").rpartition("@")[0].strip('"')
    automatic = [
        value.get("auto-submitted", "no").partition(";")[0].strip().lower() != "no",
        "return-path" in value and not value["return-path"].strip("<> "),
        value.get("precedence", "").lower() in _BULK or value.get("x-precedence", "").lower() in _BULK,
        any(h in value for h in ("list-id", "list-unsubscribe", "list-post", "x-autoreply", "x-autorespond")),
        re.search(r"\b(all|oof)\b", value.get("x-auto-response-suppress", ""), re.I) is not None,
        msg.get_content_type() == "multipart/report",
        not local or _ROBOT.fullmatch(local) is not None,
    ]
    verdicts = (value.get("x-ses-spam-verdict", ""), value.get("x-ses-virus-verdict", ""))
    defects += (type(d).__name__ for part in msg.walk() for d in part.defects)
    return InboundMail(
        sender=sender,
        sender_name=name,
        subject=" ".join(_repaired(value.get("subject", ""), raw.get("subject", "")).split()),
        text=text,
        attachments=tuple(attachments),
        message_id="".join(value.get("message-id", "").split()) or None,
        automatic=any(automatic),
        spam_or_virus=any(v.upper() == "FAIL" for v in verdicts),
        defects=tuple(dict.fromkeys(defects)),
    )


def _header(msg: Message, name: str, defects: list[str]) -> Any:
    """The first `name` header as the policy parsed it, or None: absent, or its parse raised (a defect)."""
    try:
        header = msg.get(name)
    except Exception:
        defects.append("UnparseableHeaderDefect")
        return None
    defects += (type(d).__name__ for d in getattr(header, "defects", ()))
    return header


def _sender(header: Any, raw: str) -> tuple[str | None, str]:
    """The first From address (none without both a local part and a domain) and its display name."""
    for address in getattr(header, "addresses", ())[:1]:
        name = " ".join(_repaired(address.display_name, parseaddr(raw)[0]).split())
        if not (address.username and address.domain):
            return None, name
        sender = address.addr_spec[: -len(address.domain)] + address.domain.lower()
        try:  # an address in raw 8-bit is kept if it is UTF-8 (RFC 6532), else it cannot be answered
            return sender.encode("utf-8", "surrogateescape").decode("utf-8"), name
        except UnicodeError:
            return None, name
    return None, ""


def _repaired(value: str, raw: str) -> str:
    """`value` as the policy decoded it; if that left bytes or words undecoded, `raw` read again by `_text`
    (the policy reads an encoded word's charset as labelled: GBK sent as "gb2312" comes back broken)."""
    if not _UNDECODED.search(value) and "=?" not in value:  # "=?": an encoded word the policy left as it was
        return value
    try:
        chunks = decode_header(" ".join(raw.split()))
        value = "".join(
            _text(c.encode("utf-8", "surrogateescape") if isinstance(c, str) else c, cs) for c, cs in chunks
        )
    except Exception:  # a broken encoded word: the policy's reading stands
        pass
    return _UNDECODED.sub("\ufffd", value)


def _text(data: bytes, charset: str | None) -> str:
    label = (charset or "").strip().lower()
    label = "gb18030" if label in _GB else "" if label in ("us-ascii", "ascii", "unknown-8bit") else label
    for name, errors in [*([(label, "replace")] if label else []), ("utf-8", "strict"), ("gb18030", "strict")]:
        try:
            return data.decode(name, errors)
        except (LookupError, ValueError):  # an unknown label, or not that charset
            continue
    return data.decode("utf-8", "replace")


def _body(msg: EmailMessage, defects: list[str]) -> tuple[str, list[Message]]:
    """The body's text, and the parts read for it (an empty plain part gives way to the HTML one)."""
    read: list[Message] = []
    try:
        for kind in ("plain", "html"):
            if (part := msg.get_body(preferencelist=(kind,))) is not None:
                read.append(part)
                text = _text(_data(part), part.get_content_charset())
                if text := (_html_text(text) if kind == "html" else text).replace("\r\n", "\n").strip():
                    return text, read
        if msg.get_content_maintype() == "multipart" and not msg.is_multipart():  # its boundary is missing
            return _text(_data(msg), None).replace("\r\n", "\n").strip(), [msg]
    except Exception as exc:
        defects.append(type(exc).__name__)
    return "", read


class _HTMLText(HTMLParser):  # entities are unescaped by the parser itself (convert_charrefs)
    _HIDDEN = frozenset({"script", "style", "title"})
    _BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})  # start and end
    _BREAKS = {"br": "\n", "li": "\n", "tr": "\n", "td": " ", "th": " "} | dict.fromkeys(_BLOCKS, "\n")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in self._HIDDEN
        self.chunks.append(self._BREAKS.get(tag, ""))

    def handle_endtag(self, tag: str) -> None:
        self.hidden = max(0, self.hidden - (tag in self._HIDDEN))
        self.chunks.append("\n" if tag in self._BLOCKS else "")

    def handle_data(self, data: str) -> None:
        self.chunks.append("" if self.hidden else re.sub(r"[ \t\r\n\f]+", " ", data))  # HTML's own spaces only


def _html_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.chunks).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _leaves(part: Message) -> Iterator[Message]:
    """Every part that is not a multipart, in order (a forwarded message is one part, not its insides)."""
    if part.get_content_maintype() != "multipart":
        yield part
    elif isinstance(payload := part.get_payload(), list):  # else its boundary is missing: no parts to read
        for sub in payload:
            yield from _leaves(sub) if isinstance(sub, Message) else ()


def _filename(part: Message, defects: list[str]) -> str:
    try:
        name = _UNDECODED.sub("\ufffd", part.get_filename() or "")
    except Exception:  # its Content-Disposition's parse raised: the part is kept, nameless
        defects.append("UnparseableHeaderDefect")
        return ""
    name = re.split(r"[/\\]", name)[-1].strip()
    return "" if name in (".", "..") else name


def _data(part: Message) -> bytes:
    """The part's bytes, transfer encoding undone (broken base64 as far as it goes: the policy notes the
    defect); a forwarded message as its RFC 5322 bytes."""
    inner, data = part.get_payload(), part.get_payload(decode=True)
    if isinstance(inner, list):
        return b"".join(m.as_bytes() for m in inner if isinstance(m, Message))
    return data if isinstance(data, bytes) else b""

"""Inbound e-mail as SES receipt stores it, read without AWS: who wrote it, what it says and carries,
whether it may be answered, and that no bytes at all make the reading raise."""

from __future__ import annotations

import base64
import random
import re
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.mail import InboundMail, parse, reply_headers

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"
SES = (  # what SES puts before the mail it stores
    b"Return-Path: <Zhang.San@Example.COM>\r\n"
    b"Received: from mail.example.com (mail.example.com [203.0.113.5]) by inbound-smtp.ap-southeast-1.amazonaws.com"
    b"\r\n with SMTP id abc123 for ts@example.gov.cn; Mon, 23 Nov 2026 02:00:00 +0000 (UTC)\r\n"
    b"X-SES-Spam-Verdict: PASS\r\n"
    b"X-SES-Virus-Verdict: PASS\r\n"
)


def b64(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def mail(*headers: str, body: str = "商品过期了。", sender: str = "张三 <zhang.san@example.com>") -> bytes:
    head = "".join(f"{h}\r\n" for h in (f"From: {sender}", "To: ts@example.gov.cn", "Subject: hi", *headers))
    return SES + head.encode() + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.encode()


def message(sender: str = "张三 <zhang.san@example.com>") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, "ts@example.gov.cn", "投诉", "<m1@example.com>"
    return msg


def test_a_plain_mail_with_a_gb2312_subject_and_a_utf8_body() -> None:
    raw = (
        SES
        + (
            f"From: {b64('张三', 'gb2312')} <Zhang.San@Example.COM>\r\n"
            "To: ts@example.gov.cn\r\n"
            f"Subject: {b64('投诉：超市卖过期牛奶', 'gb2312')}\r\n"
            "Message-ID: <CAF=abc123@mail.example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "11月1日买的牛奶\r\n已经过期。\r\n\r\n"
        ).encode()
    )
    assert parse(raw) == InboundMail(
        sender="Zhang.San@example.com",  # the local part as written, the domain lower-cased
        sender_name="张三",
        subject="投诉：超市卖过期牛奶",
        text="11月1日买的牛奶\n已经过期。",
        attachments=(),
        message_id="<CAF=abc123@mail.example.com>",
        automatic=False,
        spam_or_virus=False,
        defects=(),
    )


def test_gbk_labelled_gb2312_is_read_as_gb18030() -> None:
    # GIVEN 镕 (GBK, not GB2312) in a subject, a name and a body that all say gb2312, as Chinese clients do
    raw = (
        f"From: {b64('朱镕基', 'gbk').replace('gbk', 'gb2312')} <a@example.com>\r\n"
        f"Subject: {b64('关于朱镕基路的投诉', 'gbk').replace('gbk', 'GB2312')}\r\n"
        "Content-Type: text/plain; charset=gb2312\r\n\r\n"
    ).encode() + "镕基路".encode("gbk")
    mail_ = parse(raw)
    # THEN nothing is lost to U+FFFD
    assert (mail_.sender_name, mail_.subject, mail_.text) == ("朱镕基", "关于朱镕基路的投诉", "镕基路")


def test_raw_8bit_headers_are_read_as_utf8_or_else_gb18030() -> None:
    raw = "From: 张三 <a@example.com>\r\nSubject: 投诉 超市\r\n\r\nx".encode("gbk")
    assert (parse(raw).sender_name, parse(raw).subject) == ("张三", "投诉 超市")
    raw = "From: 李四 <a@example.com>\r\nSubject:  投诉\r\n   超市 \r\n\r\nx".encode()
    assert (parse(raw).sender_name, parse(raw).subject) == ("李四", "投诉 超市")


def test_an_html_only_mail_is_read_as_text() -> None:
    msg = message()
    html = (
        "<html><head><title>Mail</title><style>p { color: red }</style></head><body>"
        "<p>Dear  Sir,\n  the milk &amp; the bread</p><script>alert('x')</script>"
        "expired<br>on 1&nbsp;November<div>Shop: A&amp;B</div><ul><li>milk</li><li>bread</li></ul></body></html>"
    )
    msg.set_content(html, subtype="html")
    assert (
        parse(msg.as_bytes()).text
        == "Dear Sir, the milk & the bread\nexpired\non 1\xa0November\nShop: A&B\n\nmilk\nbread"
    )


def test_an_empty_plain_alternative_gives_way_to_the_html_one() -> None:
    msg = message()
    msg.set_content("\r\n")
    msg.add_alternative("<p>真正的内容</p>", subtype="html")
    assert parse(msg.as_bytes()).text == "真正的内容"


def test_a_jpeg_with_an_rfc2231_chinese_name() -> None:
    msg = message()
    msg.set_content("见附件照片。")
    msg.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="照片 1.jpg")
    raw = msg.as_bytes()
    assert b"filename*=utf-8''%E7%85%A7%E7%89%87%201.jpg" in raw  # RFC 2231 on the wire
    mail_ = parse(raw)
    assert mail_.text == "见附件照片。"
    assert [(a.filename, a.content_type, a.data) for a in mail_.attachments] == [("照片 1.jpg", "image/jpeg", JPEG)]


def test_rfc2047_names_inline_images_and_forwarded_mail_are_attachments_in_order() -> None:
    msg = message()
    msg.set_content("see the photo")
    msg.add_alternative('<p>see <img src="cid:p1"></p>', subtype="html")
    html = msg.get_body(("html",))
    assert html is not None
    html.add_related(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", cid="<p1>")  # inline, no name
    forwarded = message("商家 <shop@example.com>")
    forwarded.set_content("我们不退货。")
    msg.add_attachment(forwarded)
    raw = msg.as_bytes().replace(
        b"Content-Type: image/png", f'Content-Type: image/png; name="{b64("截图.png", "gb2312")}"'.encode()
    )
    mail_ = parse(raw)
    assert mail_.text == "see the photo"
    assert [(a.filename, a.content_type) for a in mail_.attachments] == [
        ("截图.png", "image/png"),
        ("", "message/rfc822"),
    ]
    assert mail_.attachments[0].data == b"\x89PNG\r\n\x1a\n"
    inner = BytesParser(policy=default).parsebytes(mail_.attachments[1].data)
    assert inner["From"].addresses[0].addr_spec == "shop@example.com"


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('filename="../../etc/passwd"', "passwd"),
        (r'filename="C:\\Users\\zs\\evidence.pdf"', "evidence.pdf"),
        ('filename=".."', ""),
        ("filename*=gb2312''%D5%C5%C8%FD.pdf", "张三.pdf"),
    ],
)
def test_an_attachment_only_mail_and_its_name_without_directories(disposition: str, expected: str) -> None:
    raw = (
        f"From: a@example.com\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; {disposition}\r\n\r\n{base64.b64encode(b'%PDF-1.7').decode()}\r\n"
    ).encode()
    mail_ = parse(raw)
    assert mail_.text == ""
    assert [(a.filename, a.content_type, a.data) for a in mail_.attachments] == [
        (expected, "application/pdf", b"%PDF-1.7")
    ]


def report() -> bytes:
    msg = message("Mail Delivery System <bounces@example.com>")
    msg.set_content("Delivery to the following recipient failed: x@example.com")
    msg.make_mixed()
    msg.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b1"')
    return msg.as_bytes()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(mail("Auto-Submitted: auto-replied"), id="auto-submitted"),
        pytest.param(mail("Auto-Submitted: Auto-Generated; owner-email=x@example.com"), id="auto-generated"),
        pytest.param(mail().replace(b"Return-Path: <Zhang.San@Example.COM>", b"Return-Path: <>"), id="null-path"),
        pytest.param(mail("Precedence: bulk"), id="precedence-bulk"),
        pytest.param(mail("X-Precedence: auto_reply"), id="x-precedence"),
        pytest.param(mail("List-Id: <news.example.com>"), id="list-id"),
        pytest.param(mail("List-Unsubscribe: <mailto:u@example.com>"), id="list-unsubscribe"),
        pytest.param(report(), id="multipart-report"),
        pytest.param(mail("X-Autoreply: yes"), id="x-autoreply"),
        pytest.param(mail("X-Auto-Response-Suppress: DR, OOF, AutoReply"), id="suppress-oof"),
        pytest.param(mail("X-Auto-Response-Suppress: All"), id="suppress-all"),
        pytest.param(mail(sender="Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>"), id="mailer-daemon"),
        pytest.param(mail(sender="postmaster@example.com"), id="postmaster"),
        pytest.param(mail(sender="owner-list@example.com"), id="owner"),
        pytest.param(mail(sender="list-request@example.com"), id="request"),
        pytest.param(mail(sender="京东 <no-reply@jd.com>"), id="no-reply"),
        pytest.param(mail(sender="DoNotReply@bank.example"), id="donotreply"),
        pytest.param(mail(sender="undisclosed-recipients:;"), id="no-sender"),
    ],
)
def test_mail_that_must_never_be_answered(raw: bytes) -> None:
    assert parse(raw).automatic


def test_a_person_writing_is_answered_even_with_auto_submitted_no() -> None:
    mail_ = parse(mail("Auto-Submitted: no", "Precedence: first-class", "X-Auto-Response-Suppress: DR"))
    assert not mail_.automatic
    assert mail_.sender == "zhang.san@example.com" and mail_.text == "商品过期了。"


@pytest.mark.parametrize(
    ("verdicts", "flagged"),
    [
        ((b"PASS", b"PASS"), False),
        ((b"FAIL", b"PASS"), True),
        ((b"PASS", b"fail"), True),
        ((b"GRAY", b"PROCESSING_FAILED"), False),
    ],
)
def test_ses_spam_and_virus_verdicts(verdicts: tuple[bytes, bytes], flagged: bool) -> None:
    raw = mail().replace(b"Spam-Verdict: PASS", b"Spam-Verdict: " + verdicts[0])
    raw = raw.replace(b"Virus-Verdict: PASS", b"Virus-Verdict: " + verdicts[1])
    assert parse(raw).spam_or_virus is flagged


def test_empty_and_random_bytes() -> None:
    assert parse(b"") == InboundMail(None, "", "", "", (), None, True, False, ())
    for seed in range(20):
        mail_ = parse(random.Random(seed).randbytes(2000))
        assert mail_.sender is None and mail_.automatic and mail_.attachments == ()


def test_a_multipart_without_boundary_keeps_its_text_and_says_so() -> None:
    raw = b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n"  # no boundary parameter
    raw += b"--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n"
    mail_ = parse(raw)
    assert "NoBoundaryInMultipartDefect" in mail_.defects
    assert mail_.text == "--x\nContent-Type: text/plain\n\nhello\n--x--"  # what it says, unread as parts
    assert mail_.sender == "a@example.com" and mail_.attachments == ()


@pytest.mark.parametrize("sender", ['"broken <<@@>', "broken <<@@>", "<a@", "@example.com", "zhang"])
def test_an_unreadable_from_gives_no_sender(sender: str) -> None:
    mail_ = parse(mail(sender=sender))
    assert mail_.sender is None and mail_.automatic
    assert mail_.text == "商品过期了。"
    assert {"InvalidHeaderDefect", "UnparseableHeaderDefect", "ObsoleteHeaderDefect"} & set(mail_.defects)


def test_headers_whose_parse_raises_count_as_absent() -> None:
    # GIVEN a Message-ID and a Content-Disposition on which the email package itself raises IndexError
    raw = (
        b"From: a@example.com\r\nMessage-ID: <<<>>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename*\r\n\r\nJPEG\r\n--b--\r\n"
    )
    mail_ = parse(raw)
    assert mail_.message_id is None and mail_.text == "hi"
    assert [(a.filename, a.content_type, a.data) for a in mail_.attachments] == [("", "image/jpeg", b"JPEG")]
    assert "UnparseableHeaderDefect" in mail_.defects


def test_a_content_type_on_which_the_parser_raises_falls_back_to_the_legacy_reading() -> None:
    raw = b"From: a@example.com\r\nSubject: =?utf-8?B?5oqV6K+J?=\r\nContent-Type: text/plain; charset*\r\n\r\nbody"
    mail_ = parse(raw)
    assert (mail_.subject, mail_.text) == ("投诉", "body")
    assert mail_.sender is None and mail_.automatic  # the legacy reading does not read addresses
    assert "IndexError" in mail_.defects


def test_broken_base64_is_decoded_as_far_as_it_goes() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=a.jpg\r\n\r\n/9j/4A*&^\r\n"
    )
    (attachment,) = parse(raw).attachments
    assert attachment.data.startswith(b"\xff\xd8\xff\xe0")
    assert "InvalidBase64CharactersDefect" in parse(raw).defects


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("text/plain; charset=iso-8859-1", "café au lait"),
        ("text/plain; charset=x-unknown-charset", "caf\ufffd au lait"),
        ("text/plain", "caf\ufffd au lait"),  # unlabelled: neither UTF-8 nor GB18030
        ("text/plain; charset=us-ascii", "caf\ufffd au lait"),
    ],
)
def test_a_latin1_8bit_body(content_type: str, text: str) -> None:
    raw = f"From: a@example.com\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    assert parse(raw.encode() + "café au lait".encode("latin-1")).text == text


def test_an_unlabelled_utf8_body_mislabelled_ascii_is_read() -> None:
    raw = b"From: a@example.com\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + "投诉".encode()
    assert parse(raw).text == "投诉"


@given(st.binary(max_size=3000))
def test_no_bytes_make_parse_raise_and_all_its_text_is_storable(raw: bytes) -> None:
    mail_ = parse(raw)
    for text in (
        mail_.sender or "",
        mail_.sender_name,
        mail_.subject,
        mail_.text,
        *(a.filename for a in mail_.attachments),
    ):
        text.encode("utf-8")  # no surrogates left in
    assert mail_.automatic or mail_.sender is not None


def test_reply_headers_answer_the_mail_once() -> None:
    mail_ = parse(mail("Message-ID: <m1@example.com>").replace(b"Subject: hi", b"Subject: RE: Re:  " + b"x" * 200))
    headers = reply_headers(mail_, "example.gov.cn")
    assert re.fullmatch(r"<[^<>@]+@example\.gov\.cn>", headers.pop("Message-ID"))
    assert headers == {
        "Subject": "Re: " + "x" * 120,
        "In-Reply-To": "<m1@example.com>",
        "References": "<m1@example.com>",
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
    }


@pytest.mark.parametrize(
    ("subject", "reply"),
    [("投诉", "Re: 投诉"), ("回复：投诉", "Re: 投诉"), ("", "Re:"), ("Fwd: 投诉", "Re: Fwd: 投诉")],
)
def test_reply_subjects(subject: str, reply: str) -> None:
    mail_ = InboundMail("a@example.com", "", subject, "", (), None, False, False, ())
    headers = reply_headers(mail_, "example.gov.cn")
    assert headers["Subject"] == reply
    assert "In-Reply-To" not in headers and "References" not in headers  # no Message-ID to name

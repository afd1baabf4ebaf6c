"""Evidence rules without AWS: what a file's bytes say it is, the metadata removed losslessly, the names
it is downloaded under, and a race for one upload between two submissions."""

from __future__ import annotations

import zlib
from datetime import datetime

import pytest

from chalicelib.adapters.evidence import attachment
from chalicelib.domain.case import Channel, Kind, Respondent
from chalicelib.domain.deadlines import CHINA
from chalicelib.domain.evidence import (
    MalformedFile,
    consistent,
    download_name,
    sniff,
    strip_jpeg,
    strip_png,
    without_metadata,
)
from chalicelib.errors import InvalidInput
from chalicelib.service import evidence
from chalicelib.service.intake import Submission, register
from tests.conftest import TINY_JPEG, jpeg_segment
from tests.fakes import ZHANG, FakeCases, FakeEvidenceStore, evidence_services, services

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CHINA)


def _ftyp(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"isom"


@pytest.mark.parametrize(
    ("head", "sniffed"),
    [
        (TINY_JPEG, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "image/png"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(20), "audio/mpeg"),
        (_ftyp(b"M4A "), "audio/mp4"),
        (b"#!AMR\n" + bytes(32), "audio/amr"),
        (_ftyp(b"isom"), "video/mp4"),
        (b"<!DOCTYPE html><html></html>", None),
    ],
)
def test_the_first_bytes_say_what_a_file_is(head: bytes, sniffed: str | None) -> None:
    assert sniff(head) == sniffed


def test_a_declared_type_is_believed_only_when_the_bytes_agree() -> None:
    assert consistent("image/jpeg", "image/jpeg")
    assert not consistent("image/jpeg", None)  # HTML, or anything unknown, declared as a photo
    assert not consistent("image/png", "image/jpeg")
    assert not consistent("image/jpeg", "image/gif")  # a type not taken, even if it were declared
    # an Android voice note is ISO-BMFF under a video brand: audio/mp4 and video/mp4 stand for each other
    assert consistent("audio/mp4", "video/mp4") and consistent("video/mp4", "audio/mp4")


def test_a_jpeg_loses_its_exif_xmp_iptc_and_comments_and_nothing_else() -> None:
    icc = jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01profile")
    noisy = (
        TINY_JPEG[:2]
        + jpeg_segment(0xE1, b"Exif\x00\x00GPS")
        + TINY_JPEG[2:20]
        + icc
        + jpeg_segment(0xED, b"Photoshop 3.0\x00IPTC")
        + jpeg_segment(0xFE, b"taken at home")
        + TINY_JPEG[20:]
    )
    clean = strip_jpeg(noisy)
    assert clean == TINY_JPEG[:20] + icc + TINY_JPEG[20:]  # the colour profile and the image itself kept
    assert strip_jpeg(clean) == clean
    assert without_metadata("image/jpeg", noisy) == clean and without_metadata("application/pdf", noisy) == noisy


def test_a_png_loses_its_exif_and_text_chunks_and_nothing_else() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes(13))
    image = chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    noisy = header + chunk(b"eXIf", b"MM\x00*GPS") + chunk(b"iTXt", b"XML:com.adobe.xmp\x00GPS") + image
    assert strip_png(noisy) == header + image


@pytest.mark.parametrize(
    "broken",
    [
        b"\xff\xd8\xff\xe1\x00\x40Exif",  # a segment longer than the file
        b"\xff\xd8\x00\x00",  # no marker where one must be
        b"\x89PNG\r\n\x1a\n\x00\x00\x01\x00IDAT",  # a chunk longer than the file
        b"GIF89a",
    ],
)
def test_a_file_too_damaged_to_clean_is_refused(broken: bytes) -> None:
    stripper = strip_png if broken.startswith(b"\x89PNG") else strip_jpeg
    with pytest.raises(MalformedFile):
        stripper(broken)


def test_a_download_is_named_for_what_it_is_and_saved_not_shown() -> None:
    assert download_name("发票.JPG", "image/jpeg") == "发票.JPG"
    assert download_name("invoice.pdf", "image/jpeg") == "invoice.pdf.jpg"  # a photo, whatever its name said
    assert download_name("voice", "audio/amr") == "voice.amr"
    header = attachment('张三 "发票".jpg')
    assert header.startswith('attachment; filename="_') and header.isascii()
    assert header.endswith("filename*=UTF-8''%E5%BC%A0%E4%B8%89%20%22%E5%8F%91%E7%A5%A8%22.jpg")


def test_two_submissions_racing_for_one_upload_link_it_once_and_the_loser_leaves_nothing() -> None:
    store, cases = FakeEvidenceStore(), FakeCases()
    files = evidence_services(store)
    world = services(cases, evidence=files)
    allowed = evidence.allow("a.jpg", "image/jpeg", len(TINY_JPEG), client="c", now=NOW, evidence=files)
    store.objects[allowed.upload.key] = TINY_JPEG  # uploaded
    complaint = Submission(
        kind=Kind.COMPLAINT,
        channel=Channel.WEB,
        facts="过期牛奶",
        complainant=ZHANG,
        respondent=Respondent("某某超市有限公司"),
        request="退货",
        evidence=(allowed.upload.id,),
    )
    winner = register(complaint, now=NOW, services=world)  # links it
    (kept,) = winner.cases[0].evidence
    assert cases.linked == {allowed.upload.id: winner.cases[0].id}
    assert list(store.objects) == [kept.key]  # the upload itself is deleted once linked
    # the loser read the upload unlinked before the winner linked it (the fake's record still reads so)
    store.objects[allowed.upload.key] = TINY_JPEG
    with pytest.raises(InvalidInput) as refused:
        register(complaint, now=NOW, services=world)
    assert refused.value.code == "upload_used" and refused.value.fields == {"evidence.0": "already linked"}
    assert kept.key in store.objects and len([k for k in store.objects if k.startswith("evidence/")]) == 1
    assert len(cases.cases) == 1

"""Evidence files (证据材料): which files are taken, how what they are is told from their bytes, and
how the metadata that could identify or locate their author is removed. Plain Python, no AWS.

The type a client declares is a claim: the file's first bytes decide (`sniff`), and a file whose
bytes do not say what it was declared as is refused. Magic numbers only look at the first bytes (a
JPEG-prefixed polyglot is a JPEG to them), so the type kept is the sniffed one, never the client's,
and downloads are served as attachments.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import PurePosixPath

from chalicelib.errors import InvalidInput

#: The largest file taken, in bytes (10 MiB): a photo, a scanned receipt, a few minutes of recording.
MAX_BYTES = 10 * 1024 * 1024
#: How many files one submission may link.
MAX_FILES = 10
#: How many first bytes are enough to tell a file's type (`filetype` reads no more).
SNIFF_BYTES = 8192

#: Each type taken, and the file-name extensions that go with it (the first is the one added on download).
ALLOWED: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
    "audio/mpeg": (".mp3",),
    "audio/mp4": (".m4a", ".mp4"),
    "audio/amr": (".amr",),
    "video/mp4": (".mp4", ".m4v", ".3gp"),
}
#: ISO-BMFF is one container: Android voice recorders write audio under `isom`/`mp42`/`3gp4` brands, which
#: read as video/mp4, and a video may carry the `M4A ` brand. Either declaration takes either.
_SAME_CONTAINER = frozenset({"audio/mp4", "video/mp4"})


def check_declared(content_type: str, size: int) -> None:
    """What a client says it will upload must be a file taken here: 422 with a code saying which rule
    (the file name's shape is the request schema's)."""
    if content_type not in ALLOWED:
        raise InvalidInput(
            f"this type of file is not taken; send one of: {', '.join(ALLOWED)}",
            code="file_type_not_allowed",
            fields={"content_type": "one of " + ", ".join(ALLOWED)},
        )
    if size > MAX_BYTES:
        raise InvalidInput(
            f"a file may be at most {MAX_BYTES} bytes", code="file_too_large", fields={"size": f"at most {MAX_BYTES}"}
        )
    if size < 1:
        raise InvalidInput("the file is empty", code="file_empty", fields={"size": "at least 1"})


def sniff(head: bytes) -> str | None:
    """The type the first bytes say the file is (`filetype`, imported on first use: the cold start of a
    request without evidence does not pay for it), or None when they say nothing known."""
    import filetype

    kind = filetype.guess(head[:SNIFF_BYTES])
    return None if kind is None else str(kind.mime)


def consistent(declared: str, sniffed: str | None) -> bool:
    """Whether the bytes are what was declared (the ISO-BMFF audio and video types stand for each other)."""
    if sniffed is None or sniffed not in ALLOWED:
        return False
    return sniffed == declared or {declared, sniffed} <= _SAME_CONTAINER


def download_name(filename: str, content_type: str) -> str:
    """The name a download is saved under: the uploader's, with an extension of the type it really is, so
    no program opens it as something else."""
    extensions = ALLOWED.get(content_type, ())
    if not extensions or PurePosixPath(filename).suffix.lower() in extensions:
        return filename
    return filename + extensions[0]


# ---- metadata ----------------------------------------------------------------------------------

_JPEG_START = b"\xff\xd8"
#: APP1 (Exif and XMP: GPS, camera serial, owner, time), APP13 (Photoshop IPTC), COM (comments).
_JPEG_DROPPED = frozenset({0xE1, 0xED, 0xFE})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and the restart markers carry no length
_SCAN, _END = 0xDA, 0xD9
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: eXIf (EXIF), the text chunks (XMP lives in iTXt; tEXt/zTXt hold author, comment, software) and tIME.
_PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})


class MalformedFile(ValueError):
    """The file's structure is broken where its metadata would be: it cannot be cleaned, so it is refused."""


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without its APP1 (Exif, XMP), APP13 (IPTC) and COM segments; everything else byte for byte,
    the compressed image untouched (lossless). The orientation flag goes with the Exif segment."""
    if not data.startswith(_JPEG_START):
        raise MalformedFile("not a JPEG")
    kept, i = [_JPEG_START], 2
    while i < len(data):
        if data[i] != 0xFF:
            raise MalformedFile(f"no JPEG marker at byte {i}")
        marker = data[i + 1] if i + 1 < len(data) else _END
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker in (_SCAN, _END):  # the image data and what follows it are copied as they are
            kept.append(data[i:])
            break
        if marker in _JPEG_STANDALONE:
            kept.append(data[i : i + 2])
            i += 2
            continue
        if i + 4 > len(data):
            raise MalformedFile("a JPEG segment is cut short")
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2 or i + 2 + length > len(data):
            raise MalformedFile("a JPEG segment runs past the end of the file")
        if marker not in _JPEG_DROPPED:
            kept.append(data[i : i + 2 + length])
        i += 2 + length
    return b"".join(kept)


def strip_png(data: bytes) -> bytes:
    """The PNG without its eXIf, text and time chunks; every other chunk byte for byte (lossless)."""
    if not data.startswith(_PNG_SIGNATURE):
        raise MalformedFile("not a PNG")
    kept, i = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
    while i < len(data):
        if i + 12 > len(data):
            raise MalformedFile("a PNG chunk is cut short")
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise MalformedFile("a PNG chunk runs past the end of the file")
        if kind not in _PNG_DROPPED:
            kept.append(data[i:end])
        i = end
        if kind == b"IEND":
            break
    return b"".join(kept)


#: The types whose metadata (EXIF, XMP, IPTC, text chunks: GPS position, camera owner, time) is removed.
_STRIPPERS: dict[str, Callable[[bytes], bytes]] = {"image/jpeg": strip_jpeg, "image/png": strip_png}


def without_metadata(content_type: str, data: bytes) -> bytes:
    """What is kept of a file of (sniffed) `content_type`: images without their metadata, the rest as it is."""
    strip = _STRIPPERS.get(content_type)
    return strip(data) if strip else data

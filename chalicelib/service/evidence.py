"""Evidence uploads: a client is allowed to upload one file straight to the evidence bucket, and a
submission links what was uploaded.

1. `allow`: the declared name, type and size are checked, one try is taken from the client's upload
   budget, and a signed S3 POST policy is handed out that takes 1 to `size` bytes of that type at one
   new key of random name (`uploads/<day>/<upload id>`), for a few minutes. The upload is recorded in
   the register, to be linked within a day (the bucket's lifecycle deletes an unlinked file then).
2. `accept`, at submission: each upload must be recorded, unlinked and uploaded; the file is read whole
   (at most 10 MiB) and must be within the size declared, and its first bytes must say it is the type
   declared. What is kept is the file without its metadata (images), under a new key of the app's
   (`evidence/<month>/<random>`), with the SHA-256 of the bytes kept. Nothing is written to the case yet:
   a refused file refuses the submission whole.
3. The case is registered in one transaction that also marks each upload linked, conditionally, so an
   upload is linked once even when two submissions race for it (`intake.register`). Then the uploaded
   originals are deleted: the kept copies are the evidence.

S3 does not enforce the policy locally (moto ignores it): `accept` checks everything again, and would
catch a file that slipped past a policy in AWS too.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.case import Evidence
from chalicelib.domain.codes import new_upload_id
from chalicelib.domain.deadlines import local_day
from chalicelib.domain.evidence import (
    ALLOWED,
    MAX_BYTES,
    MalformedFile,
    check_declared,
    consistent,
    download_name,
    sniff,
    without_metadata,
)
from chalicelib.errors import InvalidInput, Throttled
from chalicelib.resources import EVIDENCE_PREFIX, UPLOAD_PREFIX
from chalicelib.service.ports import AttemptBudget, EvidenceStore, PresignedPost, Upload, Uploads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvidenceServices:
    """The ports and limits of evidence handling (built once per container in `wiring`)."""

    uploads: Uploads
    store: EvidenceStore
    budget: AttemptBudget  # uploads allowed per client (source address) per window
    upload_seconds: int  # how long a signed upload form may be used
    keep: timedelta  # how long an upload waits to be linked (the bucket's lifecycle for `uploads/`)
    download_seconds: int  # how long a signed download link may be used


@dataclass(frozen=True)
class Allowed:
    upload: Upload
    post: PresignedPost
    expires_at: datetime  # of the signed form


@dataclass(frozen=True)
class Accepted:
    """The files a submission links, as kept, and the uploads they came from (linked with the case)."""

    evidence: tuple[Evidence, ...] = ()
    uploads: tuple[Upload, ...] = ()


NOTHING = Accepted()


@dataclass(frozen=True)
class Download:
    evidence: Evidence
    filename: str
    url: str
    expires_at: datetime


def allow(
    filename: str, content_type: str, size: int, *, client: str, now: datetime, evidence: EvidenceServices
) -> Allowed:
    """Let a client upload one file of the declared type and at most the declared size."""
    check_declared(content_type, size)
    spent = evidence.budget.spend(client, now)
    if spent.wait:
        raise Throttled("too many uploads from this address; try again later", retry_after_seconds=spent.wait)
    upload_id = new_upload_id()
    upload = Upload(
        id=upload_id,
        key=f"{UPLOAD_PREFIX}{local_day(now).isoformat()}/{upload_id}",
        filename=filename,
        content_type=content_type,
        size=size,
        created_at=now,
        expires_at=now + evidence.keep,
    )
    evidence.uploads.add(upload)
    post = evidence.store.presign_post(upload.key, content_type, size, evidence.upload_seconds)
    return Allowed(upload, post, now + timedelta(seconds=evidence.upload_seconds))


def accept(
    upload_ids: Sequence[str], *, anonymous: bool = False, now: datetime, evidence: EvidenceServices
) -> Accepted:
    """Check every upload a submission links and keep a clean copy of each; refuse the whole submission
    (422: `upload_not_found`, `upload_used`, `upload_rejected`) if one fails, leaving nothing behind.
    An anonymous reporter's file names are not kept either ("IMG_张三_0412.jpg" names them): each file
    is named for its place and type."""
    if len(set(upload_ids)) != len(upload_ids):
        raise InvalidInput("an upload is linked twice", fields={"evidence": "each upload once"})
    kept: list[Evidence] = []
    uploads: list[Upload] = []
    try:
        for n, upload_id in enumerate(upload_ids):
            upload = _linkable(upload_id, f"evidence.{n}", now, evidence)
            item = _keep(upload, f"evidence.{n}", now, evidence)
            kept.append(
                replace(item, filename=f"evidence-{n + 1}{ALLOWED[item.content_type][0]}") if anonymous else item
            )
            uploads.append(upload)
    except Exception:
        discard(Accepted(tuple(kept)), evidence)
        raise
    return Accepted(tuple(kept), tuple(uploads))


def _linkable(upload_id: str, where: str, now: datetime, evidence: EvidenceServices) -> Upload:
    upload = evidence.uploads.get(upload_id)
    if upload is None or upload.expires_at <= now:
        raise InvalidInput(
            f"no upload {upload_id} waits to be linked: unknown, or older than a day",
            code="upload_not_found",
            fields={where: "unknown or expired upload"},
        )
    if upload.case_id is not None:
        raise InvalidInput(
            f"upload {upload_id} is already linked to a case", code="upload_used", fields={where: "already linked"}
        )
    return upload


def _rejected(upload: Upload, where: str, why: str) -> InvalidInput:
    message = f"upload {upload.id} ({upload.filename}) is refused: {why}"
    return InvalidInput(message, code="upload_rejected", fields={where: why})


def _keep(upload: Upload, where: str, now: datetime, evidence: EvidenceServices) -> Evidence:
    stored = evidence.store.head(upload.key)
    if stored is None:
        raise InvalidInput(
            f"nothing was uploaded for upload {upload.id}",
            code="upload_not_found",
            fields={where: "the file was not uploaded"},
        )
    limit = min(upload.size, MAX_BYTES)
    if stored.size > limit:
        raise _rejected(upload, where, f"it holds {stored.size} bytes, more than the {limit} allowed")
    if stored.size < 1:
        raise _rejected(upload, where, "it is empty")
    data = evidence.store.read(upload.key, stored.etag)
    if data is None or len(data) != stored.size:
        raise _rejected(upload, where, "it changed while it was checked; submit again")
    sniffed = sniff(data)
    if sniffed is None or not consistent(upload.content_type, sniffed):
        raise _rejected(upload, where, f"its content is not {upload.content_type}")
    try:
        clean = without_metadata(sniffed, data)
    except MalformedFile as error:
        raise _rejected(upload, where, f"it is a damaged {sniffed} file ({error})") from None
    key = f"{EVIDENCE_PREFIX}{local_day(now):%Y-%m}/{new_upload_id()}"
    changed = clean != data
    if changed:
        evidence.store.put(key, clean, sniffed)
    elif not evidence.store.copy(upload.key, stored.etag, key, sniffed):  # a PDF, a recording: kept in S3
        raise _rejected(upload, where, "it changed while it was checked; submit again")
    return Evidence(
        upload_id=upload.id,
        key=key,
        filename=upload.filename,
        content_type=sniffed,
        size=len(clean),
        sha256=hashlib.sha256(clean).hexdigest(),
        original_sha256=hashlib.sha256(data).hexdigest() if changed else None,
        metadata_removed=changed,
    )


def keep_file(filename: str, data: bytes, *, now: datetime, evidence: EvidenceServices) -> Evidence | None:
    """Keep a file that came attached to a message (an e-mail), checked as an upload is; None when it is
    not a file taken here (its type, its size, damaged)."""
    sniffed = sniff(data)
    if not data or len(data) > MAX_BYTES or sniffed is None or not consistent(sniffed, sniffed):
        return None
    try:
        clean = without_metadata(sniffed, data)
    except MalformedFile:
        return None
    key = f"{EVIDENCE_PREFIX}{local_day(now):%Y-%m}/{new_upload_id()}"
    evidence.store.put(key, clean, sniffed)
    changed = clean != data
    return Evidence(
        upload_id=key.rsplit("/", 1)[-1],
        key=key,
        filename=filename or download_name("attachment", sniffed),
        content_type=sniffed,
        size=len(clean),
        sha256=hashlib.sha256(clean).hexdigest(),
        original_sha256=hashlib.sha256(data).hexdigest() if changed else None,
        metadata_removed=changed,
    )


def discard(accepted: Accepted, evidence: EvidenceServices) -> None:
    """Delete the kept copies of a submission that was not registered (the uploads stay linkable)."""
    for item in accepted.evidence:
        _quietly(evidence.store.delete, item.key)


def linked(accepted: Accepted, evidence: EvidenceServices) -> None:
    """After the case is registered: the uploaded originals (with their metadata) are deleted; if that
    fails, the bucket's lifecycle deletes them within a day or two."""
    for upload in accepted.uploads:
        _quietly(evidence.store.delete, upload.key)


def _quietly(delete: Callable[[str], None], key: str) -> None:
    try:
        delete(key)
    except Exception:
        log.warning("evidence_delete_failed", extra={"key": key}, exc_info=True)


def download(item: Evidence, now: datetime, evidence: EvidenceServices) -> Download:
    """A short-lived signed link that downloads the kept file as an attachment."""
    filename = download_name(item.filename, item.content_type)
    url = evidence.store.presign_get(item.key, filename, item.content_type, evidence.download_seconds)
    return Download(item, filename, url, now + timedelta(seconds=evidence.download_seconds))

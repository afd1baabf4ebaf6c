"""S3: evidence files (signed uploads, kept copies, signed downloads) and inbound e-mail as received.

The S3 client is made on first use (`aws.client`), so functions and requests that never touch evidence
do not pay for it at cold start. Signatures are SigV4 (`aws.py` configures the client): S3 takes no
other in most regions, and the POST policy's conditions are then part of what is signed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.service.ports import EvidenceStore, MailStore, PresignedPost, StoredObject

#: What S3 answers for an object that is not there (HEAD has no body, so only a status), or not that version.
_ABSENT = frozenset({"404", "NoSuchKey", "NotFound"})
_CHANGED = frozenset({"412", "PreconditionFailed"})


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def attachment(filename: str) -> str:
    """A Content-Disposition that saves the file under its name (RFC 6266: a plain ASCII fallback, and the
    name as written, UTF-8 percent-encoded), never shown inline."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3EvidenceStore(EvidenceStore):
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @property
    def _s3(self) -> Any:
        return aws.client("s3")

    def presign_post(self, key: str, content_type: str, max_size: int, expires_in: int) -> PresignedPost:
        # botocore adds the bucket and the exact key to the conditions (the key has no `${filename}`)
        post = self._s3.generate_presigned_post(
            self.bucket,
            key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()})

    def head(self, key: str) -> StoredObject | None:
        try:
            answer = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _ABSENT:
                return None
            raise
        return StoredObject(int(answer["ContentLength"]), str(answer["ETag"]))

    def read(self, key: str, etag: str) -> bytes | None:
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=key, IfMatch=etag)
        except ClientError as error:
            if _code(error) in _ABSENT | _CHANGED:
                return None
            raise
        with answer["Body"] as body:
            return bytes(body.read())

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def copy(self, source: str, etag: str, key: str, content_type: str) -> bool:
        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": source},
                CopySourceIfMatch=etag,
                ContentType=content_type,
                MetadataDirective="REPLACE",
            )
        except ClientError as error:
            if _code(error) in _ABSENT | _CHANGED:
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def presign_get(self, key: str, filename: str, content_type: str, expires_in: int) -> str:
        return str(
            self._s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentDisposition": attachment(filename),
                    "ResponseContentType": content_type,
                },
                ExpiresIn=expires_in,
            )
        )


class S3MailStore(MailStore):
    """The mail bucket (SES receipt's S3 action): a mail is read with one ranged GET."""

    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def read(self, key: str, limit: int) -> bytes | None:
        try:
            found = aws.client("s3").get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{limit - 1}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        data: bytes = found["Body"].read()
        return data

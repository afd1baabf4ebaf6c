"""Evidence uploads: the signed upload form, the checks at submission, the metadata removed, the staff's
audited downloads."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import requests
from chalice.test import Client

from chalicelib.domain.evidence import MAX_BYTES, MAX_FILES
from tests.api.test_intake import register_items, unpacked
from tests.conftest import COMPLAINT, TINY_JPEG, jpeg_segment, post, staff_headers, token, upload

GPS_MARK = b"GPSLatitude 31.2304N"
#: An Exif APP1 segment (a little-endian TIFF header and a GPS pointer) and an XMP one, both giving the place.
EXIF = jpeg_segment(0xE1, b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x25\x88\x04\x00\x01\x00\x00\x00" + GPS_MARK)
XMP = jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta exif:" + GPS_MARK + b"/>")
PHOTO_WITH_GPS = TINY_JPEG[:2] + EXIF + TINY_JPEG[2:20] + XMP + TINY_JPEG[20:]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


PNG_WITH_AUTHOR = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00")
    + _png_chunk(b"tEXt", b"Author\x00Zhang San")
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    + _png_chunk(b"IEND", b"")
)


def _form(client: Client, **changes: Any) -> Any:
    body = {"filename": "发票.jpg", "content_type": "image/jpeg", "size": 1000} | changes
    return post(client, "/v1/uploads", body)


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def _objects(stage_env: dict[str, str]) -> dict[str, bytes]:
    s3, bucket = boto3.client("s3"), stage_env["EVIDENCE_BUCKET"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _cases(stage_env: dict[str, str]) -> list[dict[str, Any]]:
    return [i for i in register_items(stage_env) if i["sk"]["S"] in ("CASE", "DETAILS")]


def test_an_upload_form_takes_one_file_of_the_declared_type_and_size_at_one_new_key(
    client: Client, stage_env: dict[str, str]
) -> None:
    answer = _form(client, size=5000)
    assert answer.status_code == 201
    form = answer.json_body
    fields, key = form["fields"], form["fields"]["key"]
    assert key.startswith("uploads/") and key.endswith("/" + form["upload_id"])
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and fields["Content-Type"] == "image/jpeg"
    policy = _policy(fields)
    conditions = policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 5000] in conditions
    assert {"key": key} in conditions and {"bucket": stage_env["EVIDENCE_BUCKET"]} in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)  # that key, nothing else
    expires = datetime.fromisoformat(form["expires_at"])
    signed_until = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert abs(signed_until - expires) < timedelta(seconds=2)  # botocore reads its own clock, to the second
    assert timedelta(0) < expires - datetime.now(expires.tzinfo) <= timedelta(minutes=15)
    again = _form(client, size=5000).json_body
    assert again["upload_id"] != form["upload_id"] and again["fields"]["key"] != key
    # the register waits for the submission that links it, a day at most
    (item,) = [i for i in register_items(stage_env) if i["pk"]["S"] == f"UPLOAD#{form['upload_id']}"]
    assert item["key"]["S"] == key and item["content_type"]["S"] == "image/jpeg" and "case_id" not in item
    assert 0 < int(item["expires_at"]["N"]) - expires.timestamp() <= 24 * 3600


def test_what_is_not_taken_is_refused_with_a_code_saying_why(client: Client) -> None:
    def refused(**changes: Any) -> tuple[int, str]:
        answer = _form(client, **changes)
        return answer.status_code, answer.json_body["error"]["code"]

    assert refused(content_type="text/html") == (422, "file_type_not_allowed")
    assert refused(size=MAX_BYTES + 1) == (422, "file_too_large")
    assert refused(size=0) == (422, "file_empty")
    assert refused(filename="../../etc/passwd") == (422, "validation_failed")
    assert refused(size="12") == (422, "validation_failed")


def test_s3_takes_only_what_the_form_allows(client: Client) -> None:
    form = _form(client, size=len(TINY_JPEG)).json_body
    url, fields = form["url"], form["fields"]
    bigger = requests.post(url, data=fields, files={"file": ("a.jpg", TINY_JPEG + b"\0")}, timeout=10)
    assert bigger.status_code == 400 and "EntityTooLarge" in bigger.text
    other_type = requests.post(url, data={**fields, "Content-Type": "text/html"}, files={"file": TINY_JPEG}, timeout=10)
    assert other_type.status_code == 403
    other_key = requests.post(url, data={**fields, "key": "evidence/x"}, files={"file": TINY_JPEG}, timeout=10)
    assert other_key.status_code == 403
    assert requests.post(url, data=fields, files={"file": ("a.jpg", TINY_JPEG)}, timeout=10).status_code == 204


def test_a_complaint_keeps_its_photo_without_the_place_it_was_taken_and_its_fingerprint(
    client: Client, stage_env: dict[str, str]
) -> None:
    upload_id = upload(client, PHOTO_WITH_GPS, filename="张三的发票.jpg")
    answer = post(client, "/v1/complaints", {**COMPLAINT, "evidence": [upload_id]})
    assert answer.status_code == 201
    case = client.http.get(f"/v1/staff/cases/{answer.json_body['id']}", headers=staff_headers("supervisor")).json_body
    (listed,) = case["evidence"]
    assert listed["n"] == 1 and listed["filename"] == "张三的发票.jpg" and listed["content_type"] == "image/jpeg"
    assert listed["metadata_removed"] is True
    (kept,) = _objects(stage_env).values()  # the upload with its metadata is gone: only the clean copy is left
    assert kept == TINY_JPEG  # both APP1 segments gone, every other byte as it was
    assert GPS_MARK not in kept and listed["size"] == len(kept)
    assert listed["sha256"] == hashlib.sha256(kept).hexdigest()
    # the evidence list is in the case's DETAILS, written once: the CASE item each change rewrites stays small
    stored = {i["sk"]["S"]: unpacked(i) for i in _cases(stage_env)}
    assert "evidence" not in stored["CASE"]
    (detail,) = stored["DETAILS"]["evidence"]
    assert detail["original_sha256"] == hashlib.sha256(PHOTO_WITH_GPS).hexdigest()
    linked = [i for i in register_items(stage_env) if i["pk"]["S"] == f"UPLOAD#{upload_id}"]
    assert linked[0]["case_id"]["S"] == answer.json_body["id"]
    # who may not see who complained does not read the name in the file's name either
    handler_view = client.http.get(f"/v1/staff/cases/{case['id']}", headers=staff_headers("handler")).json_body
    assert "张三" not in handler_view["evidence"][0]["filename"]


def test_an_anonymous_report_keeps_a_png_without_its_author(client: Client, stage_env: dict[str, str]) -> None:
    upload_id = upload(client, PNG_WITH_AUTHOR, content_type="image/png", filename="shop.png")
    report = {
        "kind": "report",
        "complainant": {"anonymous": True},
        "respondent": COMPLAINT["respondent"],
        "facts": "该超市销售过期食品。",
        "evidence": [upload_id],
    }
    answer = post(client, "/v1/complaints", report)
    assert answer.status_code == 201
    (kept,) = _objects(stage_env).values()
    assert b"Zhang San" not in kept and b"tEXt" not in kept
    assert kept == PNG_WITH_AUTHOR.replace(_png_chunk(b"tEXt", b"Author\x00Zhang San"), b"")
    # nor is the name the reporter gave the file kept
    case = client.http.get(f"/v1/staff/cases/{answer.json_body['id']}", headers=staff_headers("supervisor"))
    assert [e["filename"] for e in case.json_body["evidence"]] == ["evidence-1.png"]
    assert "shop.png" not in json.dumps([unpacked(i) for i in _cases(stage_env)], ensure_ascii=False)


def test_a_file_larger_than_declared_is_refused_and_nothing_is_registered(
    client: Client, stage_env: dict[str, str]
) -> None:
    form = _form(client, size=len(TINY_JPEG)).json_body
    # what a policy would refuse, put there past it: the submission checks the size again
    s3 = boto3.client("s3")
    s3.put_object(Bucket=stage_env["EVIDENCE_BUCKET"], Key=form["fields"]["key"], Body=TINY_JPEG + bytes(10))
    answer = post(client, "/v1/complaints", {**COMPLAINT, "evidence": [form["upload_id"]]})
    assert answer.status_code == 422 and answer.json_body["error"]["code"] == "upload_rejected"
    assert list(answer.json_body["error"]["fields"]) == ["evidence.0"]
    assert _cases(stage_env) == []


def test_bytes_that_are_not_the_declared_type_refuse_the_whole_submission(
    client: Client, stage_env: dict[str, str]
) -> None:
    good = upload(client, TINY_JPEG)
    page = upload(client, b"<!DOCTYPE html><html><script>alert(1)</script></html>", filename="photo.jpg")
    answer = post(client, "/v1/complaints", {**COMPLAINT, "evidence": [good, page]})
    assert answer.status_code == 422
    assert (
        answer.json_body["error"]["code"] == "upload_rejected" and "evidence.1" in answer.json_body["error"]["fields"]
    )
    assert _cases(stage_env) == []
    assert not [key for key in _objects(stage_env) if key.startswith("evidence/")]  # the good file's copy went too
    # the good upload is still there to be linked by a corrected submission
    assert post(client, "/v1/complaints", {**COMPLAINT, "evidence": [good]}).status_code == 201


def test_unknown_unsent_and_used_uploads_are_refused(client: Client) -> None:
    def code(evidence: list[str]) -> tuple[int, str]:
        answer = post(client, "/v1/complaints", {**COMPLAINT, "evidence": evidence})
        return answer.status_code, answer.json_body.get("error", {}).get("code", "")

    assert code(["no-such-upload"]) == (422, "upload_not_found")
    never_sent = _form(client).json_body["upload_id"]
    assert code([never_sent]) == (422, "upload_not_found")
    used = upload(client, TINY_JPEG)
    assert code([used]) == (201, "")
    assert code([used]) == (422, "upload_used")
    again = upload(client, TINY_JPEG)
    assert code([again, again]) == (422, "validation_failed")


def test_more_than_ten_files_are_refused(client: Client) -> None:
    answer = post(client, "/v1/complaints", {**COMPLAINT, "evidence": [f"upload-{n}" for n in range(MAX_FILES + 1)]})
    assert answer.status_code == 422 and "evidence" in answer.json_body["error"]["fields"]


def _audited(client: Client, case_id: str) -> list[dict[str, Any]]:
    trail = client.http.get(f"/v1/staff/cases/{case_id}/audit", headers=staff_headers("supervisor")).json_body
    return [entry for entry in trail["items"] if entry["what"].startswith("evidence")]


def test_a_download_is_a_short_signed_link_to_an_attachment_and_each_is_audited(client: Client) -> None:
    upload_id = upload(client, PHOTO_WITH_GPS, filename="发票")
    intake = {**COMPLAINT, "channel": "phone", "received_at": "2026-09-30T16:20:00+08:00", "evidence": [upload_id]}
    clerk = {"Authorization": f"Bearer {token('clerk', sub='clerk-7', name='王五')}"}
    case_id = post(client, "/v1/staff/intake", intake, **clerk).json_body["id"]
    assert _audited(client, case_id) == []
    answer = client.http.get(f"/v1/staff/cases/{case_id}/evidence/1", headers=clerk)  # its first responder
    assert answer.status_code == 200
    got = answer.json_body
    assert got["filename"] == "发票.jpg" and got["content_type"] == "image/jpeg"  # named for what it is
    expires = datetime.fromisoformat(got["expires_at"])
    assert timedelta(0) < expires - datetime.now(expires.tzinfo) <= timedelta(minutes=5)
    query = parse_qs(urlparse(got["url"]).query)
    assert query["response-content-disposition"][0].startswith("attachment;")
    assert "X-Amz-Signature" in query and int(query["X-Amz-Expires"][0]) <= 300
    downloaded = requests.get(got["url"], timeout=10)
    assert downloaded.status_code == 200 and hashlib.sha256(downloaded.content).hexdigest() == got["sha256"]
    (entry,) = _audited(client, case_id)
    assert entry["staff"] == {"id": "clerk-7", "name": "王五"} and entry["roles"] == ["clerk"]
    client.http.get(f"/v1/staff/cases/{case_id}/evidence/1", headers=staff_headers("supervisor"))
    assert len(_audited(client, case_id)) == 2  # each download, one entry


def test_only_those_handling_the_case_download_its_evidence(client: Client) -> None:
    case_id = post(client, "/v1/complaints", {**COMPLAINT, "evidence": [upload(client, TINY_JPEG)]}).json_body["id"]

    def status(*roles: str) -> tuple[int, str]:
        answer = client.http.get(f"/v1/staff/cases/{case_id}/evidence/1", headers=staff_headers(*roles))
        return answer.status_code, answer.json_body.get("error", {}).get("code", "")

    assert status("admin") == (403, "forbidden")  # the role never sees evidence
    assert status("handler") == (403, "forbidden")  # not this case's handler
    assert status("clerk") == (403, "forbidden")  # not its first responder
    assert _audited(client, case_id) == []
    assert status("supervisor") == (200, "")
    for missing in ("2", "0", "x"):
        answer = client.http.get(f"/v1/staff/cases/{case_id}/evidence/{missing}", headers=staff_headers("supervisor"))
        assert answer.status_code == 404

"""The baseline of `bench/cold_start.py`: a bare Chalice app making the same AWS requests as ours, with plain boto3.

Its two routes send the requests the app itself sent for its first intake and its first staff read (the bench
records them and names the file in `BARE_REQUESTS`), with a new case id and tracking code of the same length:
the same items, byte for byte, the same reads and the same execution input. One boto3 session makes every
client, on first use, under a lock — what a careful hand-written Lambda does.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import secrets
import threading
import uuid
from typing import Any

import boto3
import botocore.config
from botocore import xform_name
from chalice import Chalice, Response

app = Chalice(app_name="bare")

#: Placeholders of the recorded requests, replaced per case (`bench/cold_start.py` writes them).
CASE, CODE = "__CASE__", "__CODE__"

_lock = threading.Lock()
_made: dict[str, Any] = {}


def client(service: str) -> Any:
    """One client per service from one session, with the app's time limits: the stage's, read from the
    environment with `chalicelib/settings.py`'s defaults (the test stage's: 1 s, 1 s, 2 attempts).

    Made again when the endpoint changes: `make bench` runs several moto servers in turn."""
    with _lock:
        if _made.get("endpoint") != os.environ.get("AWS_ENDPOINT_URL"):
            _made.clear()
            _made["endpoint"] = os.environ.get("AWS_ENDPOINT_URL")
        if service not in _made:
            session = _made.setdefault("session", boto3.session.Session())
            env = os.environ
            config = botocore.config.Config(
                connect_timeout=float(env.get("AWS_CONNECT_TIMEOUT_SECONDS", "1")),
                read_timeout=float(env.get("AWS_READ_TIMEOUT_SECONDS", "3")),
                retries={"total_max_attempts": int(env.get("AWS_MAX_ATTEMPTS", "3")), "mode": "standard"},
            )
            _made[service] = session.client(service, config=config)
        return _made[service]


def encode(requests: list[tuple[str, str, dict[str, Any]]]) -> str:
    """Requests as JSON text, binary values (`{"B": b"..."}`) as `{"$bytes": base64}`."""

    def binary(value: Any) -> dict[str, str]:
        if not isinstance(value, bytes):
            raise TypeError(f"cannot record a {type(value).__name__}")
        return {"$bytes": base64.b64encode(value).decode()}

    return json.dumps(requests, ensure_ascii=False, default=binary)


def _decoded(value: dict[str, Any]) -> Any:
    return base64.b64decode(value["$bytes"]) if set(value) == {"$bytes"} else value


@functools.cache
def _recorded(phase: str) -> str:
    with open(os.environ["BARE_REQUESTS"], encoding="utf-8") as recorded:
        return str(json.load(recorded)[phase])


def send(template: str, case_id: str, tracking_code: str = "") -> list[Any]:
    """Send the recorded requests (`encode`) with this case's id and tracking code; their answers."""
    requests = json.loads(template.replace(CASE, case_id).replace(CODE, tracking_code), object_hook=_decoded)
    return [getattr(client(service), xform_name(operation))(**params) for service, operation, params in requests]


@app.route("/v1/complaints", methods=["POST"])
def submit() -> Response:
    request = app.current_request
    assert request is not None and isinstance(request.json_body, dict)
    case_id = uuid.uuid4().hex[:26].upper()  # the length of ours
    tracking_code = str(secrets.randbelow(9 * 10**11) + 10**11)
    send(_recorded("intake"), case_id, tracking_code)
    return Response({"id": case_id, "tracking_code": tracking_code}, status_code=201)


@app.route("/v1/staff/cases/{case_id}", methods=["GET"])
def case_record(case_id: str) -> dict[str, Any]:
    answers = send(_recorded("read"), case_id)  # ours also decodes what it reads: not this one
    return {"items": sum(1 if "Item" in answer else len(answer.get("Items", ())) for answer in answers)}

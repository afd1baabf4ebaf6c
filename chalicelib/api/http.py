"""How a route is declared: one decorator that registers the Chalice route, checks credentials,
parses the body with its pydantic model, maps every error to the JSON error shape, and records
the operation for the OpenAPI description — so the contract is written once.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib import errors
from chalicelib.adapters.aws import is_outage
from chalicelib.api.auth import Principal, authenticate
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)
#: What a client is told to wait after an outage: long enough for a throttle or a failover to pass.
OUTAGE_RETRY_AFTER = 5
JSON = "application/json; charset=utf-8"

STATUS: dict[type[errors.DomainError], int] = {
    errors.MalformedRequest: 400,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.InvalidState: 409,
    errors.VersionConflict: 409,
    errors.Conflict: 409,
    errors.PayloadTooLarge: 413,
    errors.InvalidInput: 422,
    errors.Throttled: 429,
    errors.Unavailable: 503,
}

#: Chalice answers some requests itself (unknown method, content type); those get our shape too.
_CHALICE_CODES = {
    405: "method_not_allowed",
    415: "unsupported_media_type",
    500: "internal_error",
    400: "bad_request",
}

B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class HeaderParam:
    name: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """One endpoint as the OpenAPI description shows it."""

    method: str
    path: str
    summary: str
    tag: str
    status: int
    response: type[BaseModel] | None
    body: type[BaseModel] | None = None
    roles: frozenset[str] | None = None
    headers: tuple[HeaderParam, ...] = ()
    errors: tuple[int, ...] = ()
    query: type[BaseModel] | None = None


OPERATIONS: list[Operation] = []


@dataclass
class Call:
    """What a route function receives."""

    request: Request
    body: Any = None
    query: Any = None
    principal: Principal | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name)
        return value if value else None

    @property
    def client(self) -> str:
        """The caller's address as API Gateway saw it (never a header the caller could forge)."""
        identity = (self.request.context or {}).get("identity") or {}
        return str(identity.get("sourceIp") or "unknown")

    @property
    def staff(self) -> Principal:
        assert self.principal is not None, "route declared without roles"
        return self.principal


def error_body(code: str, message: str, fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = dict(fields)
    return {"error": detail}


def json_response(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """JSON as UTF-8 (Chinese stays readable, not \\uXXXX)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(body=text, status_code=status, headers={"Content-Type": JSON, **(headers or {})})


def error_response(error: errors.DomainError) -> Response:
    status = next((s for cls, s in STATUS.items() if isinstance(error, cls)), 400)
    headers: dict[str, str] = {}
    if isinstance(error, (errors.Throttled, errors.Unavailable)):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return json_response(error_body(error.code, error.message, error.fields), status, headers)


def _outage(error: Exception) -> errors.Unavailable:
    log.error("aws_unavailable", extra={"error": type(error).__name__}, exc_info=True)
    return errors.Unavailable(
        "the service is briefly unavailable; nothing was lost, try again shortly",
        retry_after_seconds=OUTAGE_RETRY_AFTER,
    )


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def parse_body(model: type[B], raw: str | bytes | None) -> B:
    """Validate a JSON body. Messages name the field and the problem, never echo the value."""
    raw = raw.encode() if isinstance(raw, str) else raw or b""
    if len(raw) > get_settings().max_body_bytes:
        raise errors.PayloadTooLarge(f"the body is larger than {get_settings().max_body_bytes} bytes")
    if not raw.strip():
        raw = b"{}"  # no body is fine where every field is optional; otherwise say a body is needed
        try:
            return model.model_validate_json(raw)
        except ValidationError:
            raise errors.MalformedRequest("a JSON body is required") from None
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False, include_context=False)
        if any(p["type"] == "json_invalid" for p in problems):
            raise errors.MalformedRequest("the body is not valid JSON") from None
        fields: dict[str, str] = {}
        for p in problems:
            fields.setdefault(_field_path(p["loc"]), p["msg"])
        raise errors.InvalidInput("the request has invalid fields", fields=fields) from None


def parse_query(model: type[B], params: Mapping[str, str]) -> B:
    try:
        return model.model_validate(dict(params))
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False, include_context=False)
        fields = {_field_path(p["loc"]): p["msg"] for p in problems}
        raise errors.InvalidInput("the query string has invalid parameters", fields=fields) from None


def operation(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    response: type[BaseModel] | None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    roles: frozenset[str] | None = None,
    headers: tuple[HeaderParam, ...] = (),
    errors_: tuple[int, ...] = (),
    query: type[BaseModel] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an endpoint. `roles=None` makes it public; any set requires a staff token with one of them."""
    implied = set(errors_) | {503}  # any request may meet an outage of AWS
    if body is not None:
        implied |= {400, 413, 415, 422}
    if roles is not None:
        implied |= {401, 403}
    if query is not None:
        implied |= {422}
    op = Operation(method, path, summary, tag, status, response, body, roles, headers, tuple(sorted(implied)), query)
    OPERATIONS.append(op)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**path_params: str) -> Response:
            call = Call(bp.current_request)
            try:
                result = _handle(call, op, fn, path_params)
            except errors.DomainError as error:
                return error_response(error)
            except Exception as error:
                if not is_outage(error):
                    raise  # a bug: Chalice answers 500 and the log has the trace
                return error_response(_outage(error))
            if isinstance(result, Response):  # a page (api/site.py), not JSON
                return result
            payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            return json_response(payload, status, call.response_headers)

        # HEAD answers like GET, without a body (API Gateway, and the local server, drop it)
        bp.route(path, methods=[method, "HEAD"] if method == "GET" else [method])(view)
        return fn

    return decorate


def _handle(call: Call, op: Operation, fn: Callable[..., Any], path_params: dict[str, str]) -> Any:
    """Credentials, body and query checked in that order, then the route's own function."""
    request = call.request
    if op.roles is not None:
        call.principal = authenticate(request.headers.get("authorization"), op.roles)
    if op.body is not None:
        call.body = parse_body(op.body, request.raw_body)
    if op.query is not None:
        call.query = parse_query(op.query, request.query_params or {})
    return fn(call, **path_params)


def error_shape(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Middleware: answers Chalice produced itself (405, 415, 500) get the project's error shape."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        code = _CHALICE_CODES.get(response.status_code, "error")
        message = "the server could not handle this request" if response.status_code >= 500 else str(body["Message"])
        return json_response(error_body(code, message), response.status_code, _without_type(response.headers))
    if response.status_code >= 500 and isinstance(body, str) and not body.startswith('{"error"'):
        body = error_body("internal_error", "the server could not handle this request")
        return json_response(body, response.status_code, _without_type(response.headers))
    return response


def _without_type(headers: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in headers.items() if k.lower() != "content-type"}

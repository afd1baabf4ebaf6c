"""The service's front door and its OpenAPI 3.1 description, generated from the declared operations."""

from __future__ import annotations

import functools
import re
from typing import Any

from chalice import Blueprint, Response
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib import wiring
from chalicelib.api import schemas, site
from chalicelib.api.http import OPERATIONS, Call, Operation, operation

bp = Blueprint(__name__)
TAG = "Service"
OPENAPI_PATH = "/v1/openapi.json"

_ERROR_TEXT = {
    400: "malformed JSON",
    401: "missing, expired or invalid staff token",
    403: "the staff member lacks the role",
    404: "no such case (unknown tracking code or wrong access code: the same answer)",
    409: "not allowed in the case's current state, or a conflicting request",
    413: "body too large",
    415: "body is not JSON",
    422: "invalid fields, or an evidence file refused (the code says why)",
    429: "too many attempts; see Retry-After",
    503: "AWS briefly unavailable; nothing was lost, retry after Retry-After",
}


@operation(
    bp,
    "GET",
    "/",
    summary="What this service is (a browser asking for HTML gets the public site instead)",
    tag=TAG,
    response=schemas.ServiceOut,
)
def index(call: Call) -> schemas.ServiceOut | Response:
    if site.wants_html(call):
        return site.public_page(call)
    return schemas.ServiceOut(service="complaints", policy=wiring.policy().name, docs=OPENAPI_PATH)


@operation(bp, "GET", OPENAPI_PATH, summary="This description", tag=TAG, response=None)
def openapi_document(call: Call) -> dict[str, Any]:
    return openapi()


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a string, never null: the model's `X | None` is its `X`."""
    options = [option for option in schema.get("anyOf", ()) if option.get("type") != "null"]
    if len(options) != 1:
        return schema
    return {key: value for key, value in schema.items() if key not in ("anyOf", "default")} | options[0]


def _operation(op: Operation, refs: dict[Any, dict[str, Any]], definitions: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    parameters += [
        {
            "name": h.name,
            "in": "header",
            "required": h.required,
            "description": h.description,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
        for h in op.headers
    ]
    if op.query is not None:
        properties = definitions[refs[op.query]["$ref"].rsplit("/", 1)[-1]]["properties"]
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": _not_null(prop)}
            for name, prop in properties.items()
        ]
    ok_schema = refs[op.response] if op.response else {"type": "object"}
    responses: dict[str, Any] = {str(op.status): {"description": "success", "content": _json(ok_schema)}}
    for status in op.errors:
        responses[str(status)] = {"description": _ERROR_TEXT[status], "content": _json(refs[schemas.ErrorOut])}
    for status in {429, 503} & set(op.errors):
        responses[str(status)]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    doc: dict[str, Any] = {
        "operationId": f"{op.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', op.path.lower()).strip('_') or 'index'}",
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if op.body is not None:
        required = any(f.is_required() for f in op.body.model_fields.values())
        doc["requestBody"] = {"required": required, "content": _json(refs[op.body])}
    if op.roles is not None:
        doc["security"] = [{"staffToken": []}]
        doc["description"] = "Roles: " + ", ".join(sorted(op.roles))
    return doc


def _head(get: dict[str, Any]) -> dict[str, Any]:
    """HEAD answers as GET does, headers only."""
    responses = {
        status: {k: v for k, v in answer.items() if k != "content"} for status, answer in get["responses"].items()
    }
    return get | {"operationId": "head_" + get["operationId"].removeprefix("get_"), "responses": responses}


@functools.cache
def openapi() -> dict[str, Any]:
    inputs = {op.body for op in OPERATIONS if op.body} | {op.query for op in OPERATIONS if op.query}
    outputs = {op.response for op in OPERATIONS if op.response} | {schemas.ErrorOut}
    keyed: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)
    ]
    keyed += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    mapping, definitions = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
    refs = {model: schema for (model, _), schema in mapping.items()}
    components = definitions.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        described = _operation(op, refs, components)
        paths.setdefault(op.path, {})[op.method.lower()] = described
        if op.method == "GET":
            paths[op.path]["head"] = _head(described)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Complaint handling API",
            "version": "1.0.0",
            "description": "Intake, tracking and handling of complaints and reports (投诉举报处理).",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"staffToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }

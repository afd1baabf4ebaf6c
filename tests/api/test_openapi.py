"""The served OpenAPI description is valid and covers every route the app has."""

from __future__ import annotations

from chalice.test import Client
from openapi_spec_validator import validate

from app import app
from chalicelib.api import site


def test_the_description_is_valid_and_complete(client: Client) -> None:
    response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json_body
    validate(document)
    served = {(path, method.lower()) for path, methods in app.routes.items() for method in methods}
    served = {(path, method) for path, method in served if path not in site.PAGE_ROUTES}
    described = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert served == described
    # staff operations say so, and request bodies refuse unknown fields
    assert document["paths"]["/v1/staff/intake"]["post"]["security"] == [{"staffToken": []}]
    submission = document["components"]["schemas"]["SubmissionIn"]
    assert submission["additionalProperties"] is False
    assert set(submission["required"]) == {"kind", "complainant", "facts"}

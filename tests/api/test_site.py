"""The pages and their assets as the app serves them (the browser tests, tests/web, drive them)."""

from __future__ import annotations

import pytest
from chalice.test import Client

from chalicelib import wiring
from tests.conftest import post

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_gets_the_public_site_at_the_root_and_an_api_client_gets_json(client: Client) -> None:
    page = client.http.get("/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<html lang="zh-CN">' in page.body
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    described = client.http.get("/", headers={"Accept": "*/*"})
    assert described.json_body["docs"] == "/v1/openapi.json"


def test_the_console_is_at_staff_slash(client: Client) -> None:
    for path in ("/staff/", "/staff"):
        page = client.http.get(path)
        assert page.status_code == 200 and b"/assets/console.js" in page.body


def test_assets_are_revalidated_by_their_etag_and_nothing_outside_the_folder_is_served(client: Client) -> None:
    script = client.http.get("/assets/common.js")
    assert script.status_code == 200
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert script.headers["Cache-Control"] == "no-cache"
    again = client.http.get("/assets/common.js", headers={"If-None-Match": script.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""
    for name in ("missing.js", "..%2Fapp.py", "%2E%2E", "site.css.map", "README"):
        assert client.http.get(f"/assets/{name}").status_code == 404, name


def test_the_local_stack_mints_a_staff_token_for_the_roles_chosen(client: Client) -> None:
    assert client.http.get("/v1/staff/sign-in").json_body["method"] == "local"
    minted = post(client, "/v1/staff/local-token", {"sub": "sup-1", "name": "王五", "roles": ["supervisor"]})
    assert minted.status_code == 201
    token = minted.json_body["token"]
    queue = client.http.get("/v1/staff/cases", headers={"Authorization": f"Bearer {token}"})
    assert queue.status_code == 200
    refused = post(client, "/v1/staff/local-token", {"sub": "x", "name": "x", "roles": ["root"]})
    assert refused.status_code == 422


def test_where_cognito_signs_staff_in_there_is_no_minting(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_AUTH", "cognito")
    monkeypatch.setenv("COGNITO_REGION", "cn-north-1")
    monkeypatch.setenv("COGNITO_USER_POOL_ID", "cn-north-1_pool")
    monkeypatch.setenv("COGNITO_APP_CLIENT_ID", "client-1")
    monkeypatch.setenv("COGNITO_DOMAIN", "centre.auth.cn-north-1.amazoncognito.com")
    wiring.reset()
    minted = post(client, "/v1/staff/local-token", {"sub": "sup-1", "name": "王五", "roles": ["admin"]})
    assert minted.status_code == 404
    sign_in = client.http.get("/v1/staff/sign-in").json_body
    assert sign_in["method"] == "cognito"
    assert sign_in["authorize_url"] == "https://centre.auth.cn-north-1.amazoncognito.com/oauth2/authorize"
    assert sign_in["client_id"] == "client-1"

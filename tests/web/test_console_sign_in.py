"""The console's half of the Cognito hosted-UI sign-in (authorization code with PKCE, RFC 7636) and sign-out.

moto has no hosted UI, so the page is told to use Cognito (its GET /v1/staff/sign-in is answered by the test) and
Cognito's endpoints are answered by the test too (Playwright's routing: nothing reaches a network, and the routed
host is under amazoncognito.com, as the pages' Content-Security-Policy requires). The id token handed back is one
the local stack accepts, so what the console does with it afterwards is real."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import Page, Route, expect

from local.launch import Launched
from tests.conftest import token, unnamed_token
from tests.web.conftest import checked

COGNITO = "https://auth.example.amazoncognito.com"
CLIENT_ID = "console-client-1"
CONFIG = {
    "method": "cognito",
    "authorize_url": f"{COGNITO}/oauth2/authorize",
    "token_url": f"{COGNITO}/oauth2/token",
    "logout_url": f"{COGNITO}/logout",
    "client_id": CLIENT_ID,
}
CODE = "the-authorization-code"
#: RFC 7636 §4.1: a code verifier is 43 to 128 characters of [A-Z] [a-z] [0-9] - . _ ~
VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@dataclass
class FakeCognito:
    """Cognito's hosted UI as the page meets it: what it was sent, and what it answers."""

    site: Launched
    id_token: str
    state: str | None = None  # what the hosted UI sends back; None: the state it was given
    authorized: list[dict[str, str]] = field(default_factory=list)
    exchanged: list[dict[str, Any]] = field(default_factory=list)
    signed_out: list[dict[str, str]] = field(default_factory=list)

    def route(self, page: Page) -> None:
        page.route("**/v1/staff/sign-in", lambda route: route.fulfill(json=CONFIG))
        page.route(f"{COGNITO}/oauth2/authorize?*", self.authorize)
        page.route(f"{COGNITO}/oauth2/token", self.token)
        page.route(f"{COGNITO}/logout?*", self.logout)

    def authorize(self, route: Route) -> None:
        """The person signs in on the hosted UI, which sends the browser back with a code."""
        sent = query(route.request.url)
        self.authorized.append(sent)
        back = {"code": CODE, "state": self.state or sent["state"]}
        route.fulfill(status=302, headers={"Location": f"{sent['redirect_uri']}?{urlencode(back)}"})

    def token(self, route: Route) -> None:
        request = route.request
        form = query(f"?{request.post_data}")
        self.exchanged.append({"method": request.method, "type": request.headers.get("content-type"), "form": form})
        route.fulfill(
            json={"id_token": self.id_token, "access_token": "not-used", "token_type": "Bearer", "expires_in": 3600},
            headers={"Access-Control-Allow-Origin": self.site.url},  # the page calls it from its own origin
        )

    def logout(self, route: Route) -> None:
        sent = query(route.request.url)
        self.signed_out.append(sent)
        route.fulfill(status=302, headers={"Location": sent["logout_uri"]})


def base64url_sha256(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("ascii")).digest()).decode().rstrip("=")


def stored(page: Page) -> str:
    """Everything the page keeps in this browser's storage."""
    return str(page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"))


def test_a_supervisor_signs_in_through_cognito_with_pkce_and_signs_out(desktop: Page, site: Launched) -> None:
    # as Cognito issues it when the pool keeps no `name`: the holder is named by the username, as the API names them
    id_token = unnamed_token("cog-sup-1", "zhou.zr", "supervisor")
    claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    assert claims["cognito:groups"] == ["supervisor"]  # where the console (and the API) read the roles
    cognito = FakeCognito(site, id_token)
    page = desktop
    cognito.route(page)

    page.goto("/staff/")
    expect(page.get_by_role("heading", level=1, name="工作人员登录")).to_be_focused()
    expect(page.locator("main")).to_contain_text("使用单位账号登录（Cognito）")
    expect(page.locator("#local-sign-in")).to_have_count(0)  # no minting of tokens where Cognito signs staff in
    checked(page, "console-sign-in-cognito")
    page.get_by_role("button", name="登录", exact=True).click()

    expect(page.get_by_role("heading", level=1, name="工作队列")).to_be_focused()
    expect(page.locator("#queue-counts")).to_be_visible()  # the API answered the console's call with the token
    expect(page.locator("#who")).to_contain_text("zhou.zr（cog-sup-1）")
    expect(page.locator("#who")).to_contain_text("主管")
    (sent,) = cognito.authorized
    assert sent["response_type"] == "code" and sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == f"{site.url}/staff/"
    assert sent["code_challenge_method"] == "S256" and len(sent["state"]) >= 16
    assert "openid" in sent["scope"].split()
    (exchange,) = cognito.exchanged
    form = exchange["form"]
    assert exchange["method"] == "POST" and exchange["type"] == "application/x-www-form-urlencoded"
    assert (form["grant_type"], form["code"], form["client_id"]) == ("authorization_code", CODE, CLIENT_ID)
    assert form["redirect_uri"] == f"{site.url}/staff/"
    assert VERIFIER.match(form["code_verifier"])
    assert base64url_sha256(form["code_verifier"]) == sent["code_challenge"]  # RFC 7636 §4.6
    # the address bar no longer carries the code, and nothing of the sign-in stays in the browser's storage
    assert page.url == f"{site.url}/staff/#queue"
    kept = stored(page)
    assert id_token not in kept and form["code_verifier"] not in kept and "staff-pkce" not in kept

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("heading", level=1, name="工作人员登录")).to_be_focused()
    (out,) = cognito.signed_out
    assert out == {"client_id": CLIENT_ID, "logout_uri": f"{site.url}/staff/"}
    expect(page.locator("#who")).to_be_empty()


def test_a_sign_in_coming_back_with_another_state_or_an_error_is_refused(desktop: Page, site: Launched) -> None:
    cognito = FakeCognito(site, token("supervisor", sub="cog-sup-2"), state="forged-state-value")
    page = desktop
    cognito.route(page)
    page.goto("/staff/")
    page.get_by_role("button", name="登录", exact=True).click()

    notice = page.get_by_role("status")
    expect(notice).to_contain_text("登录未完成：返回的校验值与发出的不符")
    expect(page.get_by_role("heading", level=1, name="工作人员登录")).to_be_visible()
    assert cognito.exchanged == []  # the code was never exchanged
    expect(page.locator("#who")).to_be_empty()
    assert "code=" not in page.url and "staff-pkce" not in stored(page)

    page.goto("/staff/?error=access_denied&state=x")  # the person cancelled on the hosted UI
    expect(page.get_by_role("status")).to_contain_text("登录未完成：登录被拒绝或已取消。请重新登录。")
    assert cognito.exchanged == []

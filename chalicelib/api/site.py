"""The public site (`/`) and the staff console (`/staff/`): their pages and assets, served by the app itself.

Why the API's own routes rather than S3 + CloudFront: pages and API share one origin, so no CORS and a
Content-Security-Policy of 'self'; one deployment carries both, so a page never meets an API older or newer
than itself; and the pages are a few small files (no build step), revalidated by their ETag.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from chalice import Blueprint, Response

from chalicelib import errors
from chalicelib.api import schemas
from chalicelib.api.auth import mint_shared_secret_token
from chalicelib.api.http import Call, operation
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
TAG = "Web"
WEB = Path(__file__).resolve().parent.parent / "web"
PAGES = {"public": "index.html", "staff": "staff.html"}
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
}
#: The routes that serve pages and files, not the API: the OpenAPI description leaves them out.
PAGE_ROUTES = frozenset({"/staff", "/assets/{name}"})
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*\.(js|css|json|svg)$")


@dataclass(frozen=True)
class File:
    body: str  # every asset is text (UTF-8)
    content_type: str
    etag: str


@functools.cache
def _file(path: Path) -> File:
    body = path.read_bytes()
    return File(body.decode("utf-8"), TYPES[path.suffix], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _security_headers() -> dict[str, str]:
    """Scripts and styles from this origin only; the browser may talk to this origin, S3 (evidence
    uploads go straight to the bucket) and Cognito; no framing, no referrer (a page's URL never leaves)."""
    connect = ["'self'", "https://*.amazonaws.com", "https://*.amazoncognito.com"]
    if endpoint := os.environ.get("AWS_ENDPOINT_URL"):  # the local stack's moto, where uploads go
        connect.append(endpoint)
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        f"connect-src {' '.join(connect)}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
        "object-src 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


def serve(call: Call, path: Path) -> Response:
    """The file, or 304 when the browser's copy (its ETag) is current; pages are never stored by caches."""
    found = _file(path)
    headers: dict[str, str | list[str]] = {"Content-Type": found.content_type, "ETag": found.etag}
    headers["Cache-Control"] = "no-store" if path.suffix == ".html" else "no-cache"
    if path.suffix == ".html":
        headers |= _security_headers()
    if call.header("if-none-match") == found.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=found.body, status_code=200, headers=headers)


def wants_html(call: Call) -> bool:
    """A browser navigating (Accept names text/html); API clients and `*/*` get JSON."""
    return "text/html" in (call.header("accept") or "")


def public_page(call: Call) -> Response:
    return serve(call, WEB / PAGES["public"])


@bp.route("/staff", methods=["GET", "HEAD"])  # and /staff/: Chalice and API Gateway route both here
def staff_page() -> Response:
    return serve(Call(bp.current_request), WEB / PAGES["staff"])


@bp.route("/assets/{name}", methods=["GET", "HEAD"])
def asset(name: str) -> Response:
    path = WEB / "assets" / name
    if not ASSET_NAME.match(name) or not path.is_file():
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})
    return serve(Call(bp.current_request), path)


@operation(
    bp, "GET", "/v1/staff/sign-in", summary="How the staff console signs in", tag=TAG, response=schemas.SignInOut
)
def sign_in(call: Call) -> schemas.SignInOut:
    settings = get_settings()
    if settings.staff_auth != "cognito":
        return schemas.SignInOut(method="local", authorize_url=None, token_url=None, logout_url=None, client_id=None)
    if not settings.cognito_domain:
        raise errors.NotFound("the user pool has no hosted UI domain (COGNITO_DOMAIN): sign in is not set up")
    domain = f"https://{settings.cognito_domain}"
    return schemas.SignInOut(
        method="cognito",
        authorize_url=f"{domain}/oauth2/authorize",
        token_url=f"{domain}/oauth2/token",
        logout_url=f"{domain}/logout",
        client_id=settings.cognito_app_client_id,
    )


@operation(
    bp,
    "POST",
    "/v1/staff/local-token",
    summary="A staff token for the chosen roles: the local stack only (404 where Cognito signs staff in)",
    tag=TAG,
    response=schemas.LocalTokenOut,
    status=201,
    body=schemas.LocalTokenIn,
    errors_=(404,),
)
def local_token(call: Call) -> schemas.LocalTokenOut:
    settings = get_settings()
    if settings.staff_auth != "hs256":
        raise errors.NotFound("no such route")
    body: schemas.LocalTokenIn = call.body
    return schemas.LocalTokenOut(
        token=mint_shared_secret_token(settings.staff_jwt_secret, body.sub, list(body.roles), body.name)
    )

"""Staff credentials: a bearer JWT whose `cognito:groups` claim lists the roles.

In AWS the token is issued by the Cognito user pool (RS256, keys from its JWKS). On the local
stack and in tests the app accepts HS256 tokens signed with `STAFF_JWT_SECRET`. PyJWT (and the
cryptography it loads, ~45 ms) is imported on the first staff request, not on every cold start.
"""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import jwt

from chalicelib.domain.case import Actor
from chalicelib.domain.roles import ROLES
from chalicelib.errors import Forbidden, Unauthenticated
from chalicelib.settings import get_settings

ANY_STAFF = ROLES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    roles: frozenset[str]

    @property
    def actor(self) -> Actor:
        return Actor("staff", self.id, self.name)


class TokenVerifier(Protocol):
    def claims(self, token: str) -> dict[str, Any]: ...


class SharedSecretVerifier:
    """HS256 with a shared secret: the local stack and tests only (API.md fixes its short default)."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        if len(secret.encode()) < 32:
            log.warning("STAFF_JWT_SECRET is shorter than 32 bytes: acceptable on the local stack, never in AWS")

    def claims(self, token: str) -> dict[str, Any]:
        import jwt

        with warnings.catch_warnings():  # said once above, not on every request
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            return jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})


def mint_shared_secret_token(secret: str, sub: str, roles: list[str], name: str | None = None, hours: float = 8) -> str:
    """An HS256 staff token as SharedSecretVerifier accepts it: the local stack's sign-in and `make token`."""
    import time

    import jwt

    claims = {"sub": sub, "name": name or sub, "cognito:groups": roles, "exp": int(time.time() + hours * 3600)}
    with warnings.catch_warnings():  # the local default secret is short on purpose (API.md)
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS256")


class CognitoVerifier:
    """Verifies Cognito ID tokens against the user pool's published keys (fetched once, then cached)."""

    def __init__(self, region: str, user_pool_id: str, app_client_id: str) -> None:
        import jwt

        self._issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self._audience = app_client_id
        self._keys: jwt.PyJWKClient = jwt.PyJWKClient(f"{self._issuer}/.well-known/jwks.json", cache_keys=True)

    def claims(self, token: str) -> dict[str, Any]:
        import jwt

        key = self._keys.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=self._audience,
            issuer=self._issuer,
            options={"require": ["exp", "sub"]},
        )


@functools.cache
def verifier() -> TokenVerifier:
    settings = get_settings()
    if settings.staff_auth == "cognito":
        return CognitoVerifier(settings.cognito_region, settings.cognito_user_pool_id, settings.cognito_app_client_id)
    return SharedSecretVerifier(settings.staff_jwt_secret)


#: The claims a token may name its holder by, the first present winning: Cognito's ID token carries `name` only
#: when the pool keeps one, always `cognito:username`, and `email` with the email scope; else the `sub` (a UUID).
NAME_CLAIMS = ("name", "cognito:username", "email")


def display_name(claims: dict[str, Any]) -> str:
    return next((str(claims[claim]) for claim in NAME_CLAIMS if claims.get(claim)), str(claims["sub"]))


def authenticate(authorization: str | None, allowed: frozenset[str]) -> Principal:
    """The staff member behind an `Authorization: Bearer` header, if they hold one of the `allowed` roles."""
    import jwt

    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a staff bearer token is required", code="missing_token")
    try:
        claims = verifier().claims(token.strip())
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired; sign in again", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid", code="invalid_token") from None
    groups = claims.get("cognito:groups")
    roles = frozenset(g for g in groups if isinstance(g, str)) & ROLES if isinstance(groups, list) else frozenset()
    principal = Principal(str(claims["sub"]), display_name(claims), roles)
    if not principal.roles & allowed:
        raise Forbidden(f"this needs one of the roles: {', '.join(sorted(allowed))}")
    return principal

"""Mint a staff token for the local stack (HS256 with STAFF_JWT_SECRET, default `local-dev-secret`).

python -m local.token --role clerk [--role admin] [--sub alice] [--name "Alice"] [--hours 8]
"""

from __future__ import annotations

import argparse
import os

from chalicelib.api.auth import mint_shared_secret_token


def mint(sub: str, roles: list[str], name: str | None = None, hours: float = 8, secret: str | None = None) -> str:
    secret = secret or os.environ.get("STAFF_JWT_SECRET", "local-dev-secret")
    return mint_shared_secret_token(secret, sub, roles, name, hours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", action="append", required=True, choices=["clerk", "handler", "supervisor", "admin"])
    parser.add_argument("--sub", default="local-staff")
    parser.add_argument("--name")
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args()
    print(mint(args.sub, args.role, args.name, args.hours))


if __name__ == "__main__":
    main()

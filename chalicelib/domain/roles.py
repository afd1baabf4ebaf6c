"""The staff roles, defined once: the `cognito:groups` a token may carry."""

from __future__ import annotations

CLERK, HANDLER, SUPERVISOR, ADMIN = "clerk", "handler", "supervisor", "admin"
ROLES = frozenset({CLERK, HANDLER, SUPERVISOR, ADMIN})

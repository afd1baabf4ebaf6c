"""Run the app's Lambda tasks in-process when moto's state machines invoke them.

moto runs Lambda code in Docker, which this machine lacks; with `use_docker: False` its simple
backend only echoes. This routes each invocation, by function name, to the app's own handler in
the current process (moto's private API: moto is pinned for it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

Handler = Callable[[dict[str, Any]], Any]


def route_lambda_invocations(handlers: Mapping[str, Handler]) -> None:
    """`handlers` maps function names (or ARNs) to a callable taking the event."""
    by_name = {name.rsplit(":", 1)[-1]: handler for name, handler in handlers.items()}

    def invoke(  # noqa: PLR0917 - moto's own signature
        self: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes:
        handler = by_name[function_name.rsplit(":", 1)[-1]]
        event = json.loads(body) if body else {}
        return json.dumps(handler(event)).encode()

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


def app_handlers(env: Mapping[str, str]) -> dict[str, Handler]:
    """The app's workflow handler, under the function name the stage's state machine invokes."""
    from chalicelib.api.jobs import workflow

    return {env["WORKFLOW_FUNCTION_ARN"]: lambda event: workflow(event, None)}

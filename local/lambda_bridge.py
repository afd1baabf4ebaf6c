"""Run the app's Lambda functions in-process when moto invokes them (state machine tasks, SNS, SQS).

moto runs Lambda code in Docker, which this machine lacks; with `use_docker: False` its simple
backend only echoes. This routes each invocation, by function name, to the app's own handler in
the current process (moto's private API: moto is pinned for it).
"""

from __future__ import annotations

import json
import uuid
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

    def send_sns_message(
        self: LambdaSimpleBackend,
        function_name: str,
        message: str,
        subject: str | None = None,
        qualifier: str | None = None,
    ) -> None:
        """An SNS topic's message to a subscribed function, in the event SNS gives Lambda."""
        handler = by_name[function_name.rsplit(":", 1)[-1]]
        record = {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "Sns": {"Type": "Notification", "MessageId": str(uuid.uuid4()), "Subject": subject, "Message": message},
        }
        handler({"Records": [record]})

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
    LambdaSimpleBackend.send_sns_message = send_sns_message  # type: ignore[method-assign,assignment]


def app_handlers(env: Mapping[str, str]) -> dict[str, Handler]:
    """The app's handlers moto invokes, under the stage's function names: the state machine's task, the
    inbound SMS topic's subscriber and the mail queue's consumer."""
    from chalicelib.api.jobs import receive_mail, receive_sms, workflow

    return {
        env["WORKFLOW_FUNCTION_ARN"]: lambda event: workflow(event, None),
        env["SMS_FUNCTION_ARN"]: lambda event: receive_sms(event, None),
        env["MAIL_FUNCTION_ARN"]: lambda event: receive_mail(event, None),
    }

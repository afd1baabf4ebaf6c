"""Each Lambda function of the app: its memory and timeout, in one place.

The functions themselves (handlers, routes, schedules) are the Chalice app's: `app.py` and
`chalicelib/api/`. This table sizes them; the stack refuses to synthesize when the app has a function
that is not listed here (or the other way round), so a new handler cannot deploy at 128 MB by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalice.utils import to_cfn_resource_name

from chalicelib.resources import HANDOVER_FUNCTION, MAIL_FUNCTION, OUTBOX_FUNCTION, SMS_FUNCTION, WORKFLOW_FUNCTION

#: Chalice's name for the function that serves every route.
API_FUNCTION = "api_handler"
#: The scheduled reconciliation (`@bp.schedule(..., name="reconcile")` in chalicelib/api/jobs.py).
RECONCILE_FUNCTION = "reconcile"
#: The log line the workflow function writes when a deadline passes unmet (chalicelib/service/workflow.py).
OVERDUE_LOG_MESSAGE = "deadline_overdue"
OVERDUE_METRIC = "DeadlinesOverdue"
#: Deliveries of one mail to `receive_mail` before it goes to the failure queue (each after the visibility
#: timeout: six times the function's timeout, as Lambda recommends for a queue it polls).
MAIL_RECEIVES = 5
#: Lambda's own retries of an inbound SMS the function failed on (SNS invokes it asynchronously), after which
#: the SMS goes to `InboundSmsFailures` (alarmed).
SMS_RETRIES = 2


def logical_id(function: str) -> str:
    """The logical id Chalice gives a function in its template."""
    return "APIHandler" if function == API_FUNCTION else to_cfn_resource_name(function)


#: Memory from `make bench` (bench/lambda_memory.py: each size played by a process held to the CPU
#: share it buys, 1,769 MB = one vCPU). Measured 2026-11-23, medians of 3 fresh containers:
#:
#:     MB    cold start (import + 1st POST + 1st GET)   warm intake CPU   billed (modelled)   $/M intakes
#:     256   2.9 s                                      7 ms              ~75 ms              0.31
#:     512   1.4 s                                      8 ms              ~53 ms              0.44
#:     1024  0.8 s                                      9 ms              ~40 ms              0.65
#:     1769  0.6 s                                      8 ms              ~33 ms              0.96
#:
#: A warm request is mostly waiting on DynamoDB and Step Functions, so more memory buys little there
#: and costs more; the cold start is what a person feels. The API takes 1,024 MB: a cold start of
#: 0.8 s instead of 1.4 s for $0.21 more per million requests. Peak RSS is ~95 MB at every size.
API_MEMORY_MB = 1024
#: The workflow task, the hand-over and the reconciliation do the same work off anyone's path: a 1.4 s
#: cold start is fine there, and 512 MB keeps the handler time near the API's.
BACKGROUND_MEMORY_MB = 512
#: The notice sender sends a handful of messages per batch and waits on End User Messaging, SES and SNS:
#: the least CPU.
SENDER_MEMORY_MB = 256


@dataclass(frozen=True)
class Function:
    name: str  # the Chalice name (`lambda_function(name=...)`, `schedule(name=...)`, or the API's)
    memory_mb: int
    timeout_seconds: int
    purpose: str


FUNCTIONS: tuple[Function, ...] = (
    # API Gateway gives up after 29 s; every AWS call is bounded well inside that (chalicelib/adapters/aws.py)
    Function(API_FUNCTION, API_MEMORY_MB, 30, "every HTTP route"),
    # the DeadlinePassed task: a few reads and one transaction, retried by the state machine on failure
    Function(WORKFLOW_FUNCTION, BACKGROUND_MEMORY_MB, 60, "the state machine's DeadlinePassed task"),
    # one batch of the register's stream: at most 10 notices, each one SMS or e-mail send (or an SNS publish)
    # with its own time limit
    Function(OUTBOX_FUNCTION, SENDER_MEMORY_MB, 60, "sends the outbox's notices (register stream)"),
    # one batch of the register's stream: at most 10 hand-offs, each a read or two and a Step Functions call
    Function(HANDOVER_FUNCTION, BACKGROUND_MEMORY_MB, 60, "delivers what a request could not hand over"),
    # one SMS per invocation (SNS): a command answered, or a case registered and its execution started.
    # The inbound functions are not measured by `make bench` yet: the background functions' size
    Function(SMS_FUNCTION, BACKGROUND_MEMORY_MB, 30, "registers or answers an inbound SMS (SMS topic)"),
    # one mail per batch (the mail queue): read whole (up to MAX_MAIL_BYTES), parsed, its attachments
    # checked and kept, a case registered; the queue's visibility timeout is six times this (infra/stack.py)
    Function(MAIL_FUNCTION, BACKGROUND_MEMORY_MB, 60, "registers or answers an inbound e-mail (mail queue)"),
    # every 5 minutes: must end well before the next run starts
    Function(RECONCILE_FUNCTION, BACKGROUND_MEMORY_MB, 240, "restarts executions that ended badly"),
)

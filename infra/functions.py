"""Each Lambda function of the app: its memory and timeout, in one place.

The functions themselves (handlers, routes, schedules) are the Chalice app's: `app.py` and
`chalicelib/api/`. This table sizes them; the stack refuses to synthesize when the app has a function
that is not listed here (or the other way round), so a new handler cannot deploy at 128 MB by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.resources import OUTBOX_FUNCTION, WORKFLOW_FUNCTION

#: Chalice's name for the function that serves every route.
API_FUNCTION = "api_handler"
#: The scheduled reconciliation (`@bp.schedule(..., name="reconcile")` in chalicelib/api/jobs.py).
RECONCILE_FUNCTION = "reconcile"

#: Memory of the API function, from `make bench` Lambda memory figures (bench/lambda_memory.py: cold
#: start and handler time at the CPU share each size buys). Lambda's CPU grows with memory up to one
#: vCPU at 1,769 MB; the lead sets this constant from the measured figures.
API_MEMORY_MB = 1024
#: The workflow task and the reconciliation do the same DynamoDB work as an API request, off the
#: user's path: half the API's share of CPU is enough for them.
BACKGROUND_MEMORY_MB = 512
#: The notice sender publishes a handful of messages per batch and waits on SNS: the least CPU.
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
    # one batch of the register's stream: at most 10 notices, each an SNS publish with its own time limit
    Function(OUTBOX_FUNCTION, SENDER_MEMORY_MB, 60, "sends the outbox's notices (register stream)"),
    # every 5 minutes: must end well before the next run starts
    Function(RECONCILE_FUNCTION, BACKGROUND_MEMORY_MB, 240, "reconciles cases due a look with their executions"),
)

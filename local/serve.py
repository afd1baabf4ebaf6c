"""`chalice local --stage local --no-autoreload`, with the moto endpoint overridable from the command line
(so a second stack, e.g. the end-to-end tests', can run beside `make run`)."""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import ChaliceRequestHandler

from local.console import quiet_metrics
from local.stage import PROJECT_DIR


class QuietRequestHandler(ChaliceRequestHandler):
    """chalice local's handler, closer to API Gateway: the caller's own address as `sourceIp` (chalice
    says 127.0.0.1 for everyone, which would pool every client's guessing budget), no body in an
    answer to HEAD, and no access line of its own."""

    def _generic_handle(self) -> None:
        self.local_gateway.event_converter.LOCAL_SOURCE_IP = self.client_address[0]
        super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _send_http_response_with_body(self, code: int, headers: dict[str, Any], body: str | bytes) -> None:
        if self.command != "HEAD":
            super()._send_http_response_with_body(code, headers, body)
            return
        self.send_response(code)
        self.send_header("Content-Length", str(len(body.encode() if isinstance(body, str) else body)))
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self._send_headers(headers)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The app logs one JSON `request handled` line per request; chalice's access line would double it."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--aws-endpoint", help="overrides the stage's AWS_ENDPOINT_URL")
    parser.add_argument("--wait", action="store_true", help="load the app, then serve once a line arrives on stdin")
    args = parser.parse_args()
    quiet_metrics()
    factory = CLIFactory(str(PROJECT_DIR), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name="local")
    app = config.chalice_app  # loading the app applies the stage's environment variables
    if args.aws_endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.aws_endpoint
    if args.wait:
        sys.stdin.readline()  # the stack says when its moto is provisioned (or closes the pipe, going away)
    server = factory.create_local_server(app, config, args.host, args.port)
    server.server.RequestHandlerClass = functools.partial(QuietRequestHandler, app_object=app, config=config)
    server.server.socket.listen(128)  # socketserver's backlog is 5: a burst of clients got "connection reset"
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # the stack stops the app with SIGTERM: exit cleanly
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C in a terminal reaches the whole process group
        server.shutdown()


if __name__ == "__main__":
    main()

"""moto in server mode, in this process, taking DynamoDB requests one at a time.

moto's DynamoDB backend is not thread-safe: a transaction deep-copies the tables it touches to roll
back on failure, and another request changing them meanwhile breaks the copy (a 500 for the app).
So every DynamoDB request runs under one lock. DynamoDB requests are leaves — moto answers them
without calling back into itself — so the lock cannot deadlock, while Step Functions executions and
Lambda invocations (which call DynamoDB over HTTP from moto's own threads) stay unlocked. (A
DynamoDB stream feeding a Lambda would call back: the stack creates none.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def one_dynamodb_request_at_a_time(app: WSGIApplication, lock: threading.Lock) -> WSGIApplication:
    def serialised(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return app(environ, start_response)
        with lock:  # moto builds the whole answer inside the call: the body is ready when it returns
            return app(environ, start_response)

    return serialised


class MotoServer:
    """What `moto.server.ThreadedMotoServer` does, but it binds its port in the caller's thread (a busy
    port raises there, where ThreadedMotoServer.start() would wait forever) and holds `dynamodb_lock`."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access lines
        self.dynamodb_lock = threading.Lock()
        app: Any = DomainDispatcherApplication(create_backend_app)
        app = one_dynamodb_request_at_a_time(app, self.dynamodb_lock)
        self._server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self.endpoint = f"http://{host}:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

"""Runs moto's server on a free loopback port for one parent process.

Prints `LETHE_MOTO_PORT=<port>` once listening, then serves until its stdin closes. The parent holds
the other end of that pipe, so when the parent exits for any reason (a failed test, a kill -9) the
pipe closes and this process stops too: no emulator is ever left behind.
"""

import sys
from threading import Lock
from typing import Any, Callable, Iterable

from moto.moto_server import threaded_moto_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer


class AtomicDynamoDbDispatcher(DomainDispatcherApplication):
    """Serves DynamoDB calls one at a time.

    moto applies a conditional write as read item, evaluate condition, write item, with no lock, so two
    concurrent requests can both pass a condition that only one should (e.g. two lock grants). Real
    DynamoDB applies each item write atomically; serialising DynamoDB calls restores that. Other services
    keep the threaded server (an SQS long poll must not block everything else).
    """

    _dynamodb_lock = Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with self._dynamodb_lock:
                return list(super().__call__(environ, start_response))
        return super().__call__(environ, start_response)


threaded_moto_server.DomainDispatcherApplication = AtomicDynamoDbDispatcher  # type: ignore[misc]


def main() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"LETHE_MOTO_PORT={port}", flush=True)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()

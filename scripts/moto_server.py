"""Runs moto's server on a free loopback port for one parent process.

Prints `LETHE_MOTO_PORT=<port>` once listening, then serves until its stdin closes. The parent holds
the other end of that pipe, so when the parent exits for any reason (a failed test, a kill -9) the
pipe closes and this process stops too: no emulator is ever left behind.
"""

import sys

from moto.server import ThreadedMotoServer


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

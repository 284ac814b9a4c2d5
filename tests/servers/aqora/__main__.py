"""The stand-in on its own: `cd tests && python -m servers.aqora [--port N] [--lifetime S]`.
Prints its URL, then serves until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import signal
import threading

from .server import AqoraServer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="A local stand-in for the aqora.io API.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=3600.0, help="access token lifetime (s)")
    ap.add_argument(
        "--user", action="append", default=[], metavar="NAME:PASSWORD", help="extra users"
    )
    args = ap.parse_args(argv)
    server = AqoraServer(port=args.port, access_lifetime=args.lifetime)
    for spec in args.user:
        name, _, pw = spec.partition(":")
        server.add_user(name, pw)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with server:
        print(server.url, flush=True)
        while not done.wait(1):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

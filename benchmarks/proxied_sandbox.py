"""The side-by-side sandbox: plain http on one port, known to its clients by the proxy's URL.

    python proxied_sandbox.py --port P --public-url https://127.0.0.1:N --truth FILE
                              [--size 10000] [--latency 0.02]
                              [--clickup-size 0] [--clickup-lists 10] [--clickup-rate 70/5]

The sandbox of `pmsync sandbox`, seeded the same way, with one difference: every link it
writes (issue, project, board, user self links; serverInfo's baseUrl) names the https
proxy the contenders talk to, not its own plain-http port, so a client following a link
still goes through the proxy. It writes the seeded truth (completeness.truth_of) to
FILE, prints one JSON line (the logins), and serves until it is terminated.
A process of its own: a child forked from a process holding 10k issues would report that
memory as its own peak (Linux keeps the peak across exec).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from completeness import truth_of  # noqa: E402

import pmsync.sandbox as sandbox_package  # noqa: E402
from pmsync.sandbox import Sandbox  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--public-url", required=True)
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--clickup-size", type=int, default=0)
    parser.add_argument("--clickup-lists", type=int, default=10)
    parser.add_argument("--clickup-rate")
    args = parser.parse_args()

    class PublicServer(sandbox_package.SandboxServer):
        """The server whose URL, which the site writes into its links, is the proxy's."""

        def __init__(self, *positional, **named):
            super().__init__(*positional, **named)
            self.url = args.public_url.rstrip("/")

    sandbox_package.SandboxServer = PublicServer  # what Sandbox.start builds its server with
    sandbox = Sandbox.start(seed=7, size=args.size, port=args.port, latency=args.latency,
                            clickup_size=args.clickup_size, clickup_lists=args.clickup_lists,
                            clickup_rate=args.clickup_rate)
    args.truth.write_text(json.dumps(truth_of(sandbox)))
    account = sandbox.site.account
    print(json.dumps({"email": account.email, "token": account.api_token,
                      "clickup_token": sandbox.clickup.token if sandbox.clickup else None}),
          flush=True)
    sandbox.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    sys.exit(main())

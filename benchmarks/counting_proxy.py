"""The https proxy every side-by-side contender goes through, counting what passes.

    python counting_proxy.py --port N --upstream-port P --cert CERT --key KEY

Terminates TLS on 127.0.0.1:N with the given certificate and relays each connection,
byte for byte, to the plain-http sandbox on 127.0.0.1:P (keep-alive and all: it parses
nothing it forwards, it only reads along). It counts, in the one place every contender
shares: requests (one per request head seen, by kind of path), request bytes and
response bytes (HTTP heads and bodies as sent, after TLS).

Prints ``listening`` once bound; then, for each line read on stdin, one JSON line with
the counts so far: {"requests": {kind: n}, "request_bytes": n, "response_bytes": n}.
The harness runs one contender at a time and takes the difference around each.
A process of its own: its TLS work is not charged to the contender nor to the sandbox.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import ssl
import sys
import threading
from collections import Counter

CHUNK = 1 << 18


def kind_of(path: str) -> str:
    """Jira search pages, changelog pages, ClickUp task pages; the rest is 'other'."""
    path = path.split("?", 1)[0]
    if path.endswith("/search/jql") or path.endswith("/search"):
        return "search"
    if path.endswith("/changelog"):
        return "changelog"
    if path.startswith("/api/v2/") and path.endswith("/task"):
        return "task pages"
    return "other"


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.request_bytes = 0
        self.response_bytes = 0

    def snapshot(self) -> dict:
        with self.lock:
            return {"requests": dict(self.requests), "request_bytes": self.request_bytes,
                    "response_bytes": self.response_bytes}


class RequestReader:
    """Reads along a client's byte stream and counts each request head; skips bodies by
    Content-Length or chunked framing, so a body's bytes are never taken for a head."""

    def __init__(self, counts: Counts) -> None:
        self.counts = counts
        self.buffer = b""
        self.body_left = 0  # bytes of a Content-Length body still to skip
        self.chunked = False

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while self.buffer:
            if self.body_left:
                skipped = min(self.body_left, len(self.buffer))
                self.body_left -= skipped
                self.buffer = self.buffer[skipped:]
                continue
            if self.chunked:
                if not self._skip_chunk():
                    return
                continue
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            with self.counts.lock:
                self.counts.requests[kind_of(parts[1] if len(parts) > 1 else "")] += 1
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:])}
            self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            self.body_left = int(headers.get("content-length") or 0)

    def _skip_chunk(self) -> bool:
        """One chunk of a chunked body (the last one ends the body); False: need more."""
        line_end = self.buffer.find(b"\r\n")
        if line_end < 0:
            return False
        size = int(self.buffer[:line_end].split(b";")[0], 16)
        if size == 0:  # last chunk, then trailers up to an empty line
            end = self.buffer.find(b"\r\n\r\n", line_end)
            if end < 0:
                return False
            self.buffer, self.chunked = self.buffer[end + 4:], False
            return True
        if len(self.buffer) < line_end + 2 + size + 2:
            return False
        self.buffer = self.buffer[line_end + 2 + size + 2:]
        return True


def _relay(source: socket.socket, sink: socket.socket, counts: Counts, upstream: bool) -> None:
    reader = RequestReader(counts) if upstream else None
    try:
        while data := source.recv(CHUNK):
            if reader:
                reader.feed(data)
            with counts.lock:
                if upstream:
                    counts.request_bytes += len(data)
                else:
                    counts.response_bytes += len(data)
            sink.sendall(data)
    except (OSError, ValueError):
        pass  # either side went away: the connection is over
    finally:  # shut down before closing: that wakes the other direction's blocked recv
        for end in (source, sink):  # and sends the FIN a bare close would hold back
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                end.close()


def _serve(client: socket.socket, context: ssl.SSLContext, upstream_port: int,
           counts: Counts) -> None:
    try:
        secure = context.wrap_socket(client, server_side=True)
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
    except (OSError, ssl.SSLError):
        client.close()
        return
    for end in (secure, upstream):
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=_relay, args=(upstream, secure, counts, False), daemon=True).start()
    _relay(secure, upstream, counts, True)


def _answer_stdin(counts: Counts) -> None:
    for _ in sys.stdin:
        print(json.dumps(counts.snapshot()), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    counts = Counts()
    listener = socket.create_server(("127.0.0.1", args.port), backlog=64)
    threading.Thread(target=_answer_stdin, args=(counts,), daemon=True).start()
    print("listening", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_serve, args=(client, context, args.upstream_port, counts),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())

"""A real webhook receiver for tests: ``http.server`` in a thread on a free port.

It records every POST (headers and raw body) and answers 204; ``stop()`` closes
its socket (the sender then gets "connection refused", like a receiver that is
down) and ``start()`` listens again on the same port. ``drip(n, every)`` makes the
next ``n`` answers drip their status line a byte every ``every`` seconds, as a
slow or hostile receiver holding a sender's thread would.
"""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from tests.processes import PATIENCE


def free_tcp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    def __init__(self, status=204):
        self.port = free_tcp_port()
        self.status = status
        self.delay = 0.0  # seconds each answer waits (a slow receiver)
        self.in_flight = 0  # requests received and not yet answered
        self.received = []  # (headers dict, body bytes, monotonic time)
        self.lock = threading.Lock()
        self.server = None
        self.thread = None
        self.drips_left = 0
        self.drip_every = 1.0

    def drip(self, count, every):
        self.drips_left, self.drip_every = count, every
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/teecam?team=ops"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                    )
                    dripping = receiver.drips_left > 0
                    receiver.drips_left -= dripping
                    receiver.in_flight += 1
                if dripping:
                    with receiver.lock:
                        receiver.in_flight -= 1
                    return self._drip(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.in_flight -= 1
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _drip(self, answer):
                try:
                    for byte in answer:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(receiver.drip_every)
                except OSError:
                    pass  # the sender gave up: what a bounded attempt does
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def messages(self):
        with self.lock:
            return list(self.received)

    def wait_for(self, count, timeout):
        timeout *= PATIENCE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages()) >= count:
                return self.messages()
            time.sleep(0.02)
        raise AssertionError(
            f"timed out after {timeout} s: {len(self.messages())} of {count} webhooks arrived"
        )

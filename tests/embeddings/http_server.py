"""A real OpenAI-compatible embeddings server on a local socket, for provider tests.

Vectors are derived from a hash of each input, so tests can predict them; the
server can be told to fail, stall or answer with a wrong dimension.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import numpy.typing as npt


def fake_vector(text: str, dimension: int) -> npt.NDArray[np.float32]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)
    return vector / np.linalg.norm(vector)


@dataclass
class ServerScript:
    dimension: int = 8
    fail_next: int = 0  # answer this many requests with fail_status first
    fail_status: int = 503
    retry_after: str | None = None
    stall_next: int = 0  # sleep stall_s before answering this many requests
    stall_s: float = 0.0
    api_key: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(script: ServerScript) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with script.lock:
                script.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                stall = script.stall_next > 0
                script.stall_next -= int(stall)
                fail = script.fail_next > 0
                script.fail_next -= int(fail)
            if stall:
                time.sleep(script.stall_s)
            if self.path != "/v1/embeddings":
                return self._send(404, {"error": "not found"})
            if script.api_key and self.headers.get("Authorization") != f"Bearer {script.api_key}":
                return self._send(401, {"error": "bad key"})
            if fail:
                extra = {"Retry-After": script.retry_after} if script.retry_after else {}
                return self._send(script.fail_status, {"error": "busy"}, extra)
            data = [
                {
                    "object": "embedding",
                    "index": i,
                    "embedding": fake_vector(t, script.dimension).tolist(),
                }
                for i, t in enumerate(body["input"])
            ]
            # Reversed on purpose: clients must order by "index", not by position.
            self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})
            return None

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            raw = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

    return Handler


@contextmanager
def embeddings_server(script: ServerScript) -> Iterator[str]:
    """Serve on 127.0.0.1:<free port>; yields the base URL ending in /v1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    # A short poll interval: shutdown() waits for the next poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

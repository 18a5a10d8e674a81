"""A loopback stand-in for an OpenAI-compatible chat server: POST /v1/chat/completions.

Binds 127.0.0.1 on an ephemeral port and answers in OpenAI's response format, so the real
`ChatOpenAI` client talks to it over a socket. Each test scripts what it says next (a
reply, a delay, an HTTP error) and reads back every request it received.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMPLETIONS_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Reply:
    """What the stand-in answers: `content` with `status` 200, or an OpenAI error body."""

    content: str = ""
    status: int = 200
    delay: float = 0.0  # seconds to wait before answering, to trip the client's timeout


@dataclass(frozen=True)
class Received:
    """One request as the stand-in received it."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt(self) -> str:
        """Every message's content, joined, to look for what the prompt must contain."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


@dataclass
class OpenAIStandin:
    """Use as `with OpenAIStandin() as server:`; `server.base_url` ends in /v1."""

    reply: Reply = field(default_factory=lambda: Reply("Réponse par défaut [1]."))
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    # Set on exit so a handler sleeping through a scripted delay wakes up at once.
    _stopping: threading.Event = field(default_factory=threading.Event)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self._server is not None, "the stand-in is not running"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> OpenAIStandin:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                standin._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest output clean; tests read `received` instead

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            assert not self._thread.is_alive(), "stand-in server did not stop"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        raw = request.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        with self._lock:
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.received.append(Received(request.path, headers, body))
            reply = self.reply
        if request.path != COMPLETIONS_PATH:
            self._send(request, 404, _error(f"no route {request.path}", "not_found"))
            return
        if body.get("stream"):
            # The bot does not stream; if it starts to, the test should say so plainly.
            self._send(request, 400, _error("the stand-in does not stream", "invalid_request"))
            return
        if reply.delay and self._stopping.wait(reply.delay):
            return
        if reply.status != 200:
            self._send(request, reply.status, _error("scripted failure", "server_error"))
            return
        self._send(request, 200, self._completion(str(body.get("model", "")), reply.content))

    def _completion(self, model: str, content: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-standin-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout); nothing left to tell it


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}

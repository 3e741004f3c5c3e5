"""A local server speaking OpenAI's /v1/embeddings wire format, for the real SDK.

It answers with the hashing embedder's vectors (so results are checkable), records every
request, and can be told to fail the next N requests with a 500 (transient) error.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from adapters.embeddings.hashing import HashingEmbedder


class FakeOpenAIEmbeddings:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_next = 0
        embedder = HashingEmbedder()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body,
                                      "auth": self.headers.get("Authorization")})
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    self._send(500, {"error": {"message": "overloaded", "type": "server_error"}})
                    return
                if self.path != "/v1/embeddings":
                    self._send(404, {"error": {"message": "no such route"}})
                    return
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                vectors = embedder.embed(inputs)
                dims = int(body.get("dimensions") or 384)

                def encode(vector: list[float]) -> Any:
                    if body.get("encoding_format") == "base64":  # what the SDK asks for
                        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                    return vector

                self._send(200, {
                    "object": "list", "model": body["model"],
                    "data": [{"object": "embedding", "index": i, "embedding": encode(v[:dims])}
                             for i, v in reversed(list(enumerate(vectors)))],
                    "usage": {"prompt_tokens": 3 * len(inputs), "total_tokens": 3 * len(inputs)}})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIEmbeddings:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

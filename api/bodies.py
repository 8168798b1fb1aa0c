"""Request bodies before FastAPI sees them: gzip decoded, and a size limit enforced.

rudder-sdk-python gzips every body (`Content-Encoding: gzip`), segment-analytics-python
does with `gzip=True`. `BodyLimit` reads the body as it arrives and stops at the limit: a
declared `Content-Length` over it is refused before a byte is read, the bytes received
(compressed or not) are counted per chunk, and a gzip body is inflated in steps that never
produce more than the limit, so a small gzip bomb costs no more memory than the limit. The
app then gets the plain body with the encoding headers removed.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from identity_graph.api.errors import error_response
from identity_graph.api.schemas import ItemProblem

# zlib's window bits: 16 + MAX_WBITS reads the gzip wrapper (RFC 1952) and checks its CRC.
_GZIP_WBITS = 16 + zlib.MAX_WBITS
# "x-gzip" is gzip (RFC 9110 8.4.1.3). Neither SDK sends "deflate", so it is not offered.
_ENCODINGS = {"identity": None, "gzip": _GZIP_WBITS, "x-gzip": _GZIP_WBITS}


class _Refused(Exception):
    """The body cannot be handed to the app: answer `status` naming `field`."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason


class _Disconnected(Exception):
    """The client went away before its body was read: nothing to answer."""


class BodyLimit:
    """ASGI middleware: at most `max_bytes` of body, received and decoded."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            wbits = self._check_headers(Headers(scope=scope))
            body = await self._read(receive, wbits)
        except _Refused as exc:
            problem = ItemProblem(position=None, field=exc.field, reason=exc.reason)
            detail = "request body too large" if exc.status == 413 else "unreadable request body"
            response = error_response(exc.status, detail, [problem])
            await response(scope, receive, send)
            return
        except _Disconnected:
            return
        await self.app(_decoded_scope(scope, body), _replay(body, receive), send)

    def _check_headers(self, headers: Headers) -> int | None:
        encodings = [e.strip().lower() for e in headers.get("content-encoding", "").split(",")]
        encodings = [e for e in encodings if e and e != "identity"] or ["identity"]
        if len(encodings) > 1 or encodings[0] not in _ENCODINGS:
            raise _Refused(415, "Content-Encoding", "only gzip (or no encoding) is accepted")
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise _Refused(413, "body", self._over())
        return _ENCODINGS[encodings[0]]

    def _over(self) -> str:
        return f"larger than the limit of {self.max_bytes} bytes (max_body_bytes)"

    async def _read(self, receive: Receive, wbits: int | None) -> bytes:
        inflater = zlib.decompressobj(wbits) if wbits is not None else None
        chunks: list[bytes] = []
        received = produced = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk: bytes = message.get("body", b"")
            more = bool(message.get("more_body", False))
            received += len(chunk)
            if received > self.max_bytes:
                raise _Refused(413, "body", self._over())
            pieces = [chunk] if inflater is None else self._inflate(inflater, chunk, produced)
            produced += sum(len(p) for p in pieces)
            chunks.extend(pieces)
        if inflater is not None and not inflater.eof:
            raise _Refused(400, "body", "the gzip stream is truncated")
        if inflater is not None and inflater.unused_data:
            raise _Refused(400, "body", "data after the end of the gzip stream")
        return b"".join(chunks)

    def _inflate(self, inflater: zlib._Decompress, chunk: bytes, produced: int) -> Sequence[bytes]:
        """What `chunk` inflates to, refused as soon as the total would pass the limit.
        Asking for one byte more than the room left is what tells "full" from "over"."""
        pieces: list[bytes] = []
        data = chunk
        while True:
            room = self.max_bytes - produced
            try:
                piece = inflater.decompress(data, room + 1)
            except zlib.error:
                raise _Refused(400, "body", "not valid gzip") from None
            if len(piece) > room:
                raise _Refused(413, "body", f"decompressed, {self._over()}")
            produced += len(piece)
            pieces.append(piece)
            data = inflater.unconsumed_tail
            # Input all taken and nothing more came out: zlib holds no pending output.
            if not data and (not piece or inflater.eof):
                return pieces


def _decoded_scope(scope: Scope, body: bytes) -> Scope:
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if name not in (b"content-encoding", b"content-length", b"transfer-encoding")
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    return {**scope, "headers": headers}


def _replay(body: bytes, receive: Receive) -> Receive:
    """The whole body as one message; after it, the server's own (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

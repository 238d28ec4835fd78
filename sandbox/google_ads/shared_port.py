"""One port for gRPC and HTTP: connections opening with the HTTP/2 preface go to gRPC.

The emulator speaks gRPC (the API) and HTTP/1.1 (the shared `/_sandbox` controls and the OAuth
token endpoint). Serving both on one address keeps the emulator like every other one: a single
`base_url` that `run_emulator` reads from the ready line and that sources turn into their
settings without asking the emulator anything. A gRPC connection begins with the HTTP/2
client preface (`PRI * HTTP/2.0`), which no HTTP/1.1 request does; those connections are
relayed to the gRPC server's own loopback port, the others handed to the HTTP server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import HTTPServer

_PREFACE = b"PRI"
_PEEK_SECONDS = 10.0


class SharedPort:
    """Accepts on `host:port` and routes each connection by its first bytes."""

    def __init__(self, host: str, port: int, grpc_port: int, http: HTTPServer) -> None:
        self.grpc_target = (host, grpc_port)
        self.http = http
        self.listener = socket.create_server((host, port))
        self._closed = threading.Event()

    @property
    def address(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"{host}:{port}"

    def serve_forever(self) -> None:
        while not self._closed.is_set():
            try:
                connection, peer = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(
                target=self._route, args=(connection, peer), name="google-ads-route", daemon=True
            ).start()

    def close(self) -> None:
        self._closed.set()
        self.listener.close()

    def _route(self, connection: socket.socket, peer: tuple[str, int]) -> None:
        try:
            connection.settimeout(_PEEK_SECONDS)
            head = b""
            while len(head) < len(_PREFACE):
                head = connection.recv(len(_PREFACE), socket.MSG_PEEK)
                if not head or not _PREFACE.startswith(head[: len(_PREFACE)]):
                    break
            connection.settimeout(None)
        except OSError:
            connection.close()
            return
        if head.startswith(_PREFACE):
            self._relay(connection)
        elif head:
            self.http.process_request(connection, peer)
        else:
            connection.close()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.grpc_target)
        except OSError:
            client.close()
            return
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()
        upstream.close()
        client.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    """Copy bytes until `source` closes, then close `target` for writing."""
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

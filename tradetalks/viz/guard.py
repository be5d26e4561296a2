"""Only the server's owner may drive the browser app: an ASGI guard around Solara's server.

A web page open in the same browser can send requests to any address, 127.0.0.1 included,
and open websockets there; only the ``Origin`` header tells such a request from the app's own.
``OwnerOnly`` refuses (HTTP 403, or a websocket closed before it opens) every request that
names a foreign origin, every websocket and every non-GET request that names none, and
every request whose ``Host`` is not the server's loopback address (which defeats DNS
rebinding).  A server listening beyond loopback also wants a token, like Jupyter's: given once
in the URL (``?token=...``), then kept in a cookie.  Plain ASGI: no Solara import here.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_PARAM = "token"  # the URL query parameter that carries the token
TOKEN_COOKIE = "tradetalks-viz-token"  # cookie name prefix; the port follows (one per server)
TOKEN_BYTES = 32  # random bytes in a token: 256 bits, printed as 43 URL-safe characters
FORBIDDEN = 403  # HTTP status of a refused request
SEE_OTHER = 303  # HTTP status of the redirect that drops the token from the URL
POLICY_VIOLATION = 1008  # websocket close code of a refused websocket (RFC 6455)
SAFE_METHODS = ("GET", "HEAD")  # the only requests allowed without an Origin header
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}  # by URL scheme
LOCALHOST = "localhost"


def is_loopback(host: str) -> bool:
    """True if ``host`` names this machine only: ``localhost`` or a loopback address."""
    name = host.strip().strip("[]").lower()
    if name == LOCALHOST:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random token for a server that listens beyond loopback."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _address(netloc: str, scheme: str) -> tuple[str, int] | None:
    """(host name, port) of ``host[:port]``, or ``None`` if it does not parse."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path:
        return None
    return parts.hostname, DEFAULT_PORTS.get(scheme, 0) if port is None else port


def _origin(value: str) -> tuple[str, int] | None:
    """(host name, port) of an ``Origin`` header, or ``None`` for ``null`` or anything odd."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.path or parts.query:
        return None
    return _address(parts.netloc, parts.scheme)


def _headers(scope: Scope) -> dict[str, list[str]]:
    """The request's headers by lower-case name (ASGI gives them as byte pairs)."""
    out: dict[str, list[str]] = {}
    for name, value in scope.get("headers", []):
        out.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return out


def _query(scope: Scope) -> list[tuple[str, str]]:
    """The request's URL query parameters, in order."""
    raw = scope.get("query_string", b"").decode("latin-1")
    return parse_qsl(raw, keep_blank_values=True)


def _cookie(headers: dict[str, list[str]], name: str) -> str | None:
    """The value of cookie ``name``, if the request sends it."""
    for line in headers.get("cookie", []):
        for part in line.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
    return None


@dataclass(frozen=True)
class Decision:
    """What to do with one request: refuse it (``refusal`` says why), or let it through, maybe
    after a redirect that moves a URL token into a cookie."""

    refusal: str | None = None
    token_in_url: bool = False


@dataclass(frozen=True)
class Access:
    """Who may drive the server listening on ``port``: pages of its own origin, and, when it
    listens beyond loopback (``token`` set), only clients that show the token."""

    port: int
    token: str | None = None

    @property
    def remote(self) -> bool:
        """True if the server listens beyond loopback (then a token is required)."""
        return self.token is not None

    @property
    def cookie(self) -> str:
        """Name of the cookie that keeps the token (cookies ignore ports, so it names the port)."""
        return f"{TOKEN_COOKIE}-{self.port}"

    def decide(self, scope: Scope) -> Decision:
        """Whether the HTTP or websocket request ``scope`` may reach the app."""
        headers = _headers(scope)
        websocket = scope["type"] == "websocket"
        hosts, origins = headers.get("host", []), headers.get("origin", [])
        if len(hosts) != 1 or len(origins) > 1:
            return Decision("a request needs exactly one Host header and at most one Origin")
        secure = scope.get("scheme") in ("https", "wss")  # behind a TLS proxy, say
        host = _address(hosts[0], "https" if secure else "http")
        if host is None:
            return Decision("the Host header does not parse")
        if not self.remote and not (is_loopback(host[0]) and host[1] == self.port):
            return Decision(f"this server answers only at 127.0.0.1:{self.port} (or localhost)")
        if origins:
            origin = _origin(origins[0])
            if origin is None or not self._own(origin, host):
                return Decision("requests from other web sites are refused")
        elif websocket or scope.get("method", "GET") not in SAFE_METHODS:
            return Decision("a websocket or a changing request must name its Origin")
        if not self.remote:
            return Decision()
        query = dict(_query(scope))
        if self._valid(query.get(TOKEN_PARAM)):
            return Decision(token_in_url=True)
        if self._valid(_cookie(headers, self.cookie)):
            return Decision()
        return Decision("open the URL with the token that `tradetalks viz` printed")

    def _own(self, origin: tuple[str, int], host: tuple[str, int]) -> bool:
        """True if a page of ``origin`` is this app's own page."""
        if self.remote:  # reached under whatever name the user chose: the page's own host
            return origin == host
        return is_loopback(origin[0]) and origin[1] == self.port

    def _valid(self, given: str | None) -> bool:
        """True if ``given`` is the token (constant-time comparison)."""
        if self.token is None or not given:
            return False
        return secrets.compare_digest(given.encode(), self.token.encode())


class OwnerOnly:
    """ASGI middleware: lets a request reach ``app`` only if ``access`` allows it.

    Refused HTTP requests get a short plain 403; refused websockets are closed before they
    open (the server answers the upgrade with 403).  A valid token in a page's URL is moved
    into a cookie by a redirect, so it does not stay in the address bar.
    """

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one connection; lifespan events pass through."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        decision = self.access.decide(scope)
        if decision.refusal is not None:
            await _refuse(scope, receive, send, decision.refusal)
        elif decision.token_in_url and scope["type"] == "http":
            await self._keep_token(scope, send)
        else:
            await self.app(scope, receive, send)

    async def _keep_token(self, scope: Scope, send: Send) -> None:
        """Redirect to the same URL without the token, setting the token cookie."""
        query = [(k, v) for k, v in _query(scope) if k != TOKEN_PARAM]
        path = scope.get("root_path", "") + scope["path"]
        location = "/" + quote(path.lstrip("/"))  # never "//host": no redirect to another site
        if query:
            location += "?" + urlencode(query)
        cookie = f"{self.access.cookie}={self.access.token}; Path=/; HttpOnly; SameSite=Lax"
        headers = [
            (b"location", location.encode("latin-1")),
            (b"set-cookie", cookie.encode("latin-1")),
            (b"cache-control", b"no-store"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": SEE_OTHER, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


async def _refuse(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
    """Answer 403 with a one-line reason (HTTP), or close the websocket before it opens."""
    if scope["type"] == "websocket":
        await receive()  # the websocket.connect event
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})
        return
    body = f"403 Forbidden: {reason}.\n".encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": FORBIDDEN, "headers": headers})
    await send({"type": "http.response.body", "body": body})

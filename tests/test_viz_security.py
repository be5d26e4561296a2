"""Only the owner can drive ``tradetalks viz``; the page never shows a traceback or server path.

Starts the real server (a subprocess on a free 127.0.0.1 port, always stopped) and talks to it
as a browser would: plain HTTP requests and the websocket Solara's page opens
(``/jupyter/api/kernels/<id>/channels``), over which it asks the server to run the app and
reads every widget message.  Requests go to 127.0.0.1 only.  Issue 10, part 2 (and the viz
parts of 3 and 6): cross-origin requests and websockets are refused; binding beyond loopback
needs ``--allow-remote`` and a token; broken configs and failing sessions show a plain message.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("solara")

from browser import free_port, viz_server
from helpers import BASELINE, ROOT
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tradetalks.viz.guard import TOKEN_PARAM, Access, is_loopback

IO_TIMEOUT_S = 20.0  # one HTTP request or websocket message
RUN_TIMEOUT_S = 120.0  # the server renders the app for a new session (first one: cold imports)
EXIT_TIMEOUT_S = 60.0  # a command that must refuse to start
DEEP = 5_000  # nesting depth of a broken config: past Python's recursion limit
EVIL = "http://evil.example"  # a foreign web site's origin
KERNELS = "/jupyter/api/kernels"  # Solara's websocket lives at KERNELS/<id>/channels
STATUS_LINE = re.compile(rb"^HTTP/1\.1 (\d{3}) ")
WEEK_0 = "Week 0 of"  # the status view's first line, proof that the page was drawn
FORBIDDEN, OK, SEE_OTHER, SWITCHING = 403, 200, 303, 101  # HTTP statuses
WS_KEY_BYTES = 16  # a websocket handshake's random key (RFC 6455)
RECV_BYTES = 4096  # enough for a status line


# --------------------------------------------------------------------------- talking to a server
def _port(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1])


def _http(port: int, path: str = "/", method: str = "GET", **headers: str) -> tuple[int, dict]:
    """Status and headers of one request to 127.0.0.1:port (``Host`` defaults to that)."""
    sent = {"Host": f"127.0.0.1:{port}", **{k.replace("_", "-"): v for k, v in headers.items()}}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT_S)
    try:
        conn.request(method, path, headers=sent)
        resp = conn.getresponse()
        resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def _channels(port: int, query: str = "") -> str:
    """A websocket URL like the page's: a fresh kernel id and page session id."""
    extra = f"&{query}" if query else ""
    return (
        f"ws://127.0.0.1:{port}{KERNELS}/{uuid.uuid4()}/channels"
        f"?session_id={uuid.uuid4().hex}{extra}"
    )


def _upgrade_status(port: int, **headers: str) -> int:
    """HTTP status of a raw websocket upgrade to Solara's kernel channel (101: accepted)."""
    sent = {"Host": f"127.0.0.1:{port}", **{k.replace("_", "-"): v for k, v in headers.items()}}
    path = _channels(port).split(f"{port}", 1)[1]
    key = base64.b64encode(os.urandom(WS_KEY_BYTES)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{k}: {v}" for k, v in sent.items()),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        match = STATUS_LINE.match(sock.recv(RECV_BYTES))
    assert match, "no HTTP status line"
    return int(match.group(1))


def _message(msg_type: str, content: dict, session: str) -> str:
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": msg_type,
        "username": "",
        "session": session,
        "date": "",
        "version": "5.3",
    }
    body = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
    return json.dumps({**body, "channel": "shell", "buffers": []})


def _decode(frame: str | bytes) -> dict:
    """A Jupyter message from the server (binary: part count, offsets, JSON, buffers)."""
    if isinstance(frame, str):
        return json.loads(frame)
    parts = struct.unpack("!I", frame[:4])[0]
    offsets = struct.unpack("!" + "I" * parts, frame[4 : 4 * (parts + 1)])
    end = offsets[1] if parts > 1 else len(frame)
    return json.loads(frame[offsets[0] : end].decode())


def run_page(port: int, origin: str, query: str = "", cookie: str | None = None) -> str:
    """Open the page's websocket, ask Solara to run the app, return all it sent (as JSON text).

    Does what Solara's page does: open a ``solara.control`` comm and send ``run``; the server
    renders the app and sends every widget, then ``finished``.
    """
    session = uuid.uuid4().hex
    headers = {"Cookie": cookie} if cookie else None
    received: list[str] = []
    with connect(
        _channels(port, query),
        origin=origin,
        additional_headers=headers,
        open_timeout=IO_TIMEOUT_S,
        max_size=None,
    ) as ws:
        comm = uuid.uuid4().hex
        opened = {"comm_id": comm, "target_name": "solara.control", "data": {}}
        ws.send(_message("comm_open", opened, session))
        run = {"method": "run", "args": {"path": "", "appName": "__default__"}}
        ws.send(_message("comm_msg", {"comm_id": comm, "data": run}, session))
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            message = _decode(ws.recv(timeout=RUN_TIMEOUT_S))
            received.append(json.dumps(message))
            data = message.get("content", {}).get("data")
            if isinstance(data, dict) and data.get("method") == "finished":
                return "\n".join(received)
    raise TimeoutError("the server did not finish rendering the page")


def assert_plain(sent: str, *paths: Path) -> None:
    """Nothing the browser received holds a traceback or one of the server's paths."""
    assert "Traceback" not in sent
    for path in (ROOT, Path(sys.prefix), *paths):
        assert str(path) not in sent, f"the page received the server path {path}"


# --------------------------------------------------------------------------- servers
def _broken_configs(root: Path) -> None:
    """A scenario directory with broken files beside a good one (issue 10: deep nesting)."""
    (root / "scenarios").mkdir(parents=True)
    shutil.copy(BASELINE, root / "baseline.toml")
    (root / "scenarios" / "good.toml").write_text(f'extends = "{BASELINE.as_posix()}"\n')
    (root / "deep_array.toml").write_text("x = " + "[" * DEEP + "]" * DEEP + "\n")
    (root / "deep_table.toml").write_text("x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n")
    (root / "cycle.toml").write_text('extends = "cycle.toml"\n')
    (root / "binary.toml").write_bytes(bytes(range(256)))  # every byte value
    (root / "scenarios" / "loop.toml").symlink_to("loop.toml")  # a symlink loop


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """A loopback server whose ``configs/`` holds broken files; its port and directory."""
    work = tmp_path_factory.mktemp("viz")
    _broken_configs(work / "configs")
    config = work / "configs" / "baseline.toml"
    with viz_server(config, log=work / "server.log", cwd=work) as url:
        yield _port(url), work


# --------------------------------------------------------------------------- (a) websockets
def test_a_cross_origin_websocket_is_refused(served: tuple[int, Path]) -> None:
    port, _ = served
    with pytest.raises(InvalidStatus) as refused:
        run_page(port, origin=EVIL)
    assert refused.value.response.status_code == FORBIDDEN
    own = f"http://127.0.0.1:{port}"
    assert WEEK_0 in run_page(port, origin=own)  # the app's own page gets a working session
    assert WEEK_0 in run_page(port, origin=f"http://localhost:{port}")


# DNS rebinding: an attacker's page under a name that resolves to 127.0.0.1 is "same origin"
REBOUND = {"Origin": "http://rebound.example:{port}", "Host": "rebound.example:{port}"}


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},  # sandboxed frames, file:// pages
        {"Origin": "http://127.0.0.1:1"},  # another local server's page
        {},  # a websocket that names no origin
        REBOUND,
    ],
    ids=["foreign", "null", "other-port", "no-origin", "dns-rebinding"],
)
def test_websocket_upgrades_need_the_servers_own_origin(
    served: tuple[int, Path], headers: dict[str, str]
) -> None:
    port, _ = served
    sent = {k: v.format(port=port) for k, v in headers.items()}
    assert _upgrade_status(port, **sent) == FORBIDDEN
    assert _upgrade_status(port, Origin=f"http://127.0.0.1:{port}") == SWITCHING


# --------------------------------------------------------------------------- (b) HTTP
def test_http_requests_from_other_origins_are_refused(served: tuple[int, Path]) -> None:
    port, _ = served
    own = f"http://127.0.0.1:{port}"
    assert _http(port, Origin=EVIL)[0] == FORBIDDEN
    assert _http(port, "/static/assets/favicon.svg", Origin=EVIL)[0] == FORBIDDEN
    assert _http(port, "/_solara/api/close/x", "POST", Origin=EVIL)[0] == FORBIDDEN
    assert _http(port, "/_solara/api/close/x", "POST")[0] == FORBIDDEN  # no Origin: not a GET
    assert _http(port, Host=f"rebound.example:{port}")[0] == FORBIDDEN  # DNS rebinding
    assert _http(port)[0] == OK  # a navigation or curl: no Origin, GET
    assert _http(port, Origin=own)[0] == OK
    assert _http(port, Host=f"localhost:{port}")[0] == OK


# --------------------------------------------------------------------------- (c) beyond loopback
def test_listening_beyond_loopback_needs_allow_remote(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "tradetalks", "viz", "--host", "0.0.0.0"]
    done = subprocess.run(
        [*cmd, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT_S,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "--allow-remote" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_busy_port_is_a_plain_environment_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tradetalks", "viz", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=EXIT_TIMEOUT_S,
            cwd=tmp_path,
        )
    assert done.returncode == 1  # the machine, not the input
    assert f"error: the app could not listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_allow_remote_warns_and_wants_the_token(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    args = ["--host", "0.0.0.0", "--allow-remote"]
    with viz_server(log=log, args=args, cwd=tmp_path) as url:
        port = _port(url)
        printed = log.read_text()
        assert "warning: tradetalks viz listens on 0.0.0.0" in printed
        token = re.search(rf"\?{TOKEN_PARAM}=([\w-]+)", printed).group(1)
        own = f"http://127.0.0.1:{port}"
        cookie = f"{Access(port, token).cookie}={token}"
        assert _http(port)[0] == FORBIDDEN  # no token
        assert _http(port, f"/?{TOKEN_PARAM}=wrong")[0] == FORBIDDEN
        assert _http(port, Cookie=f"{Access(port, token).cookie}=wrong")[0] == FORBIDDEN
        status, headers = _http(port, f"/?{TOKEN_PARAM}={token}")
        assert status == SEE_OTHER and headers["location"] == "/"  # the token leaves the URL
        assert headers["set-cookie"].startswith(cookie + ";")
        assert _http(port, Cookie=cookie)[0] == OK
        assert _http(port, Cookie=cookie, Origin=EVIL)[0] == FORBIDDEN  # still own origin only
        assert _upgrade_status(port, Origin=own) == FORBIDDEN  # a websocket without the token
        assert WEEK_0 in run_page(port, origin=own, cookie=cookie)
        assert WEEK_0 in run_page(port, origin=own, query=f"{TOKEN_PARAM}={token}")


# --------------------------------------------------------------------------- (d) broken configs
def test_broken_configs_do_not_break_the_page(served: tuple[int, Path]) -> None:
    port, work = served
    sent = run_page(port, origin=f"http://127.0.0.1:{port}")
    assert WEEK_0 in sent
    assert "scenarios/good.toml" in sent  # the scenario list is there, without the broken files
    for name in ("deep_array", "deep_table", "cycle", "binary", "loop"):
        assert f"{name}.toml" not in sent
    assert_plain(sent, work)


def test_a_launch_config_broken_after_start_gives_a_plain_message(tmp_path: Path) -> None:
    launch = tmp_path / "mine.toml"
    launch.write_text(f'extends = "{BASELINE.as_posix()}"\n')
    with viz_server(launch, log=tmp_path / "server.log", cwd=tmp_path) as url:
        port = _port(url)
        launch.write_text("x = " + "[" * DEEP + "]" * DEEP + "\n")  # before any session reads it
        sent = run_page(port, origin=f"http://127.0.0.1:{port}")
    message = re.search(r"The app hit an error: [^\"]*", sent)
    assert message and "mine.toml" in message.group(0)  # the file, by name only
    assert WEEK_0 not in sent
    assert_plain(sent, tmp_path)


# --------------------------------------------------------------------------- the rules, directly
@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _scope(kind: str = "http", method: str = "GET", query: str = "", **headers: str) -> dict:
    pairs = [(k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": kind, "headers": pairs, "query_string": query.encode(), "path": "/"}
    return scope if kind == "websocket" else {**scope, "method": method}


PORT = 8765  # the port of the rule tests (no server)
HOST = f"127.0.0.1:{PORT}"


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (_scope(Host=HOST), True),
        (_scope(Host=f"localhost:{PORT}", Origin=f"http://localhost:{PORT}"), True),
        (_scope(Host=f"[::1]:{PORT}", Origin=f"http://[::1]:{PORT}"), True),
        (_scope("websocket", Host=HOST, Origin=f"http://127.0.0.1:{PORT}"), True),
        (_scope(Host=HOST, Origin=EVIL), False),
        (_scope(Host=HOST, Origin=f"https://127.0.0.1:{PORT}.evil.example"), False),
        (_scope(Host=HOST, Origin=f"http://127.0.0.1:{PORT + 1}"), False),
        (_scope(Host="127.0.0.1"), False),  # another port (80)
        (_scope(Host=f"127.0.0.1:{PORT}@evil.example"), False),
        (_scope(Host=f"evil.example:{PORT}", Origin=f"http://evil.example:{PORT}"), False),
        (_scope(), False),  # no Host
        (_scope("websocket", Host=HOST), False),
        (_scope(method="POST", Host=HOST), False),
        (_scope(method="POST", Host=HOST, Origin=f"http://127.0.0.1:{PORT}"), True),
    ],
)
def test_loopback_rules(scope: dict, allowed: bool) -> None:
    assert (Access(PORT).decide(scope).refusal is None) is allowed


def test_remote_rules_want_the_token_and_the_pages_own_origin() -> None:
    access = Access(PORT, token="s3cret")
    host = f"box.example:{PORT}"
    page = f"http://box.example:{PORT}"
    cookie = f"{access.cookie}=s3cret"
    assert access.decide(_scope(Host=host)).refusal is not None
    assert access.decide(_scope(query="token=s3cre", Host=host)).refusal is not None
    assert access.decide(_scope(query="token=s3cret", Host=host)).token_in_url
    assert access.decide(_scope(Host=host, Cookie=f"a=b; {cookie}")).refusal is None
    ws = _scope("websocket", Host=host, Origin=page, Cookie=cookie)
    assert access.decide(ws).refusal is None
    foreign = _scope("websocket", Host=host, Origin=EVIL, Cookie=cookie)
    assert access.decide(foreign).refusal is not None
    rebound = _scope("websocket", Host=f"evil.example:{PORT}", Origin=f"http://evil.example:{PORT}")
    assert access.decide(rebound).refusal is not None  # DNS rebinding: no token, no cookie

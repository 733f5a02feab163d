"""Many clients at once, keep-alive connections and hostile clients."""

import http.client
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import requests

from conftest import HOST, TIMEOUT, TITANIC_BATCH, TITANIC_SINGLE, titanic_rows


def _reference(server, bodies):
    """The answer of each distinct body, computed one request at a time."""
    return [server.eval(body).json() for body in bodies]


def test_64_concurrent_requests_are_all_answered_correctly(titanic_server):
    bodies = [TITANIC_SINGLE, TITANIC_BATCH, titanic_rows(7), titanic_rows(33, offset=5)]
    references = _reference(titanic_server, bodies)
    local = threading.local()

    def call(i):
        kind = i % len(bodies)
        if i % 2:  # half on per-thread keep-alive sessions, half on fresh connections
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            r = session.post(titanic_server.url + "/eval", data=json.dumps(bodies[kind]),
                             headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
        else:
            r = titanic_server.eval(bodies[kind])
        return kind, r.status_code, r.text

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(call, range(64)))
    assert len(results) == 64
    for kind, status, text in results:
        assert status == 200, text
        got = json.loads(text)
        want = references[kind]
        assert got["output_label"] == want["output_label"]
        np.testing.assert_allclose(got["output_probability"], want["output_probability"], atol=1e-6)


def test_concurrent_requests_on_three_models(model_servers):
    jobs = [("mlp", {"x": [[0.1, 0.2, 0.3, 0.4]] * (i + 1)}) for i in range(20)]
    jobs += [("iris", {"float_input": [6.5, 3, 5.5, 1.8]}) for _ in range(20)]
    jobs += [("titanic", titanic_rows(i + 1)) for i in range(20)]

    def call(job):
        model, body = job
        return model, len(next(iter(body.values()))), model_servers[model].eval(body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        for model, rows, r in pool.map(call, jobs):
            assert r.status_code == 200, (model, r.text)
            if model == "iris":
                assert r.json()["output_label"] == "virginica"
            elif model == "mlp":
                p = np.asarray(r.json()["probabilities"]).reshape(rows, 3)
                np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-5)


def test_keep_alive_with_a_session(titanic_server):
    with requests.Session() as session:
        for i in range(10):
            body = TITANIC_SINGLE if i % 2 else TITANIC_BATCH
            r = session.post(titanic_server.url + "/eval", json=body, timeout=TIMEOUT)
            assert r.status_code == 200, r.text
            assert r.headers.get("Connection", "keep-alive").lower() != "close", r.headers
            r = session.get(titanic_server.url + "/describe", timeout=TIMEOUT)
            assert r.status_code == 200


def test_keep_alive_reuses_one_connection(titanic_server):
    conn = http.client.HTTPConnection(HOST, titanic_server.port, timeout=TIMEOUT)
    try:
        sock = None
        for i in range(6):
            conn.request("POST", "/eval", body=json.dumps(TITANIC_SINGLE),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            body = r.read()
            assert r.status == 200, body
            if sock is None:
                sock = conn.sock
            assert conn.sock is sock and sock is not None, "the server closed a keep-alive connection"
            # An error answer does not end the connection either.
            conn.request("POST", "/eval", body=b"{", headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            assert r.status == 400
            assert conn.sock is sock, "the server closed the connection after a 400"
    finally:
        conn.close()


def test_pipelined_requests_are_answered_in_order(titanic_server):
    body = json.dumps(TITANIC_SINGLE).encode()
    one = (b"POST /eval HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)
    last = b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection((HOST, titanic_server.port), timeout=TIMEOUT) as s:
        s.sendall(one + one + last)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.count(b"HTTP/1.1 200") == 3, data
    assert data.count(b'"output_label"') == 2, data


def test_http_1_0_is_answered(titanic_server):
    with socket.create_connection((HOST, titanic_server.port), timeout=TIMEOUT) as s:
        s.sendall(b"GET /health/live HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"), data


def _raw(port, payload, close_after=0.0):
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as s:
        s.sendall(payload)
        if close_after:
            time.sleep(close_after)
            return b""
        s.settimeout(3)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return data


def test_garbage_bytes_do_not_kill_the_server(titanic_server):
    payloads = [bytes(range(256)) * 4, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
                b"GET / HTTP/9.9\r\n\r\n", b"GARBAGE\r\n\r\n", b"GET /describe HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                b"POST /eval HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                b"POST /eval HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]
    for payload in payloads:
        data = _raw(titanic_server.port, payload)
        assert data == b"" or data.startswith(b"HTTP/1."), data[:200]
        assert not data or not data.startswith(b"HTTP/1.1 5"), data[:200]
    assert titanic_server.get("/health/live").status_code == 200
    assert titanic_server.eval(TITANIC_SINGLE).status_code == 200


def test_half_sent_requests_do_not_kill_the_server(titanic_server):
    body = json.dumps(TITANIC_SINGLE).encode()
    headers = (b"POST /eval HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
               + str(len(body)).encode() + b"\r\n\r\n")
    _raw(titanic_server.port, headers + body[: len(body) // 2], close_after=0.05)
    _raw(titanic_server.port, headers[:20], close_after=0.05)
    # A chunked body cut in the middle of a chunk.
    _raw(titanic_server.port, b"POST /eval HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"fa",
         close_after=0.05)
    assert titanic_server.get("/health/ready").status_code == 200
    assert titanic_server.eval(TITANIC_SINGLE).status_code == 200


def test_a_stalled_client_does_not_block_others(titanic_server):
    stalled = socket.create_connection((HOST, titanic_server.port), timeout=TIMEOUT)
    try:
        stalled.sendall(b"POST /eval HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"fare\":")
        begin = time.monotonic()
        for _ in range(5):
            assert titanic_server.eval(TITANIC_SINGLE).status_code == 200
        assert time.monotonic() - begin < 5
    finally:
        stalled.close()


def test_chunked_request_body_is_accepted(titanic_server):
    body = json.dumps(TITANIC_SINGLE).encode()

    def chunks():
        for i in range(0, len(body), 10):
            yield body[i:i + 10]

    r = requests.post(titanic_server.url + "/eval", data=chunks(), headers={"Content-Type": "application/json"},
                      timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["output_label"] == 0

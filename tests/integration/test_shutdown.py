"""SIGTERM/SIGINT: stop accepting, answer what was already read, exit 0."""

import json
import re
import signal
import socket
import threading
import time

import pytest
import requests

from conftest import HOST, TITANIC_SINGLE, model_path, titanic_rows

ROWS = 30000


def in_flight(server):
    try:
        text = requests.get(server.url + "/metrics", timeout=2).text
    except requests.RequestException:
        return -1
    m = re.search(r"^mlserving_in_flight_requests(?:\{[^}]*\})?\s+(\S+)$", text, re.M)
    return int(float(m.group(1))) if m else -1


def fire(server, body, count):
    """Starts `count` threads POSTing `body`; returns (threads, results list)."""
    results = []
    lock = threading.Lock()

    def call():
        try:
            r = requests.post(server.url + "/eval", data=body, headers={"Content-Type": "application/json"},
                              timeout=30)
            outcome = (r.status_code, r.text)
        except requests.RequestException as e:  # refused or closed: never got an answer
            outcome = (None, repr(e))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=call, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads, results


def test_sigterm_drains_in_flight_requests(server):
    s = server(model_path("titanic"), "--threads", "1", "--drain-timeout-ms", "20000")
    body = json.dumps(titanic_rows(ROWS))
    threads, results = fire(s, body, 20)
    # Wait until the server holds several requests (the /metrics request itself counts as one).
    deadline = time.monotonic() + 10
    observed = 0
    while time.monotonic() < deadline:
        observed = in_flight(s)
        if observed >= 4:
            break
        time.sleep(0.005)
    assert observed >= 2, f"no request in flight to drain (in_flight={observed})"
    sent_at = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    rc = s.proc.wait(timeout=25)
    exit_seconds = time.monotonic() - sent_at
    for t in threads:
        t.join(timeout=30)
    log = s.log()
    assert rc == 0, log[-3000:]
    assert exit_seconds < 20, exit_seconds

    answered = [(status, text) for status, text in results if status is not None]
    # Every request the server had read when the signal came was answered, completely.
    assert len(answered) >= observed - 1, (observed, results)
    for status, text in answered:
        assert status == 200, text[:300]
        doc = json.loads(text)
        assert len(doc["output_label"]) == ROWS
        assert len(doc["output_probability"]) == ROWS
    assert "SIGTERM" in log and "shutdown" in log, log[-3000:]
    assert re.search(r"draining", log) and re.search(r"stopped", log), log[-3000:]
    # No more connections once it has exited.
    with pytest.raises(OSError):
        socket.create_connection((HOST, s.port), timeout=2).close()


def test_sigterm_on_an_idle_server_exits_at_once(server):
    s = server(model_path("titanic"))
    # An idle keep-alive connection must not hold the shutdown up.
    session = requests.Session()
    assert session.post(s.url + "/eval", json=TITANIC_SINGLE, timeout=5).status_code == 200
    begin = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    rc = s.proc.wait(timeout=10)
    assert rc == 0, s.log()[-3000:]
    assert time.monotonic() - begin < 3
    session.close()
    assert "SIGTERM" in s.log()


def test_sigint_also_drains_and_exits_0(server):
    s = server(model_path("mlp"))
    s.proc.send_signal(signal.SIGINT)
    assert s.proc.wait(timeout=10) == 0, s.log()[-3000:]
    assert "SIGINT" in s.log()


def test_drain_timeout_bounds_the_shutdown(server):
    s = server(model_path("titanic"), "--threads", "1", "--drain-timeout-ms", "300")
    body = json.dumps(titanic_rows(50000))
    threads, results = fire(s, body, 24)  # several seconds of work for one worker
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and in_flight(s) < 8:
        time.sleep(0.005)
    begin = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    rc = s.proc.wait(timeout=15)
    elapsed = time.monotonic() - begin
    for t in threads:
        t.join(timeout=30)
    assert rc == 0, s.log()[-3000:]
    assert elapsed < 3, f"exited {elapsed:.1f} s after SIGTERM with a 0.3 s drain timeout"
    for status, text in results:
        assert status in (None, 200, 503), text[:300]
        if status == 200:
            assert len(json.loads(text)["output_label"]) == 50000

"""Shared fixtures of the integration suite: the real `mlserving` binary on 127.0.0.1.

ctest runs this suite with MLSERVING_BIN (the binary) and MLSERVING_ROOT (the repository root)
set; both fall back to the usual locations so that a plain `pytest tests/integration` works from
a built checkout. Only Debian's python3 with pytest, requests and numpy is needed.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time

import numpy as np
import pytest
import requests

ROOT = pathlib.Path(os.environ.get("MLSERVING_ROOT", pathlib.Path(__file__).resolve().parents[2])).resolve()
BIN = pathlib.Path(os.environ.get("MLSERVING_BIN", ROOT / "build" / "src" / "mlserving")).resolve()
FIXTURES = ROOT / "fixtures"
MODELS = ("titanic", "iris", "mlp")

HOST = "127.0.0.1"
#: Timeout of every HTTP request the suite makes (seconds).
TIMEOUT = 10
#: Longest wait for a server to answer /health/ready with 200.
READY_TIMEOUT = 30


def model_path(model):
    """The fixture model `model` ("titanic", "iris", "mlp")."""
    return FIXTURES / model / f"{model}.onnx"


def load_cases(model):
    with open(FIXTURES / model / "cases.json", encoding="utf-8") as f:
        return json.load(f)


def squeeze(value):
    """`value` with every dimension of size 1 dropped, as the JSON answers of /eval are."""
    return np.squeeze(np.asarray(value))


def assert_outputs_match(got, expected, atol=1e-5, context=""):
    """Compares a JSON /eval answer with expected values given in batch form (cases.json).

    Floats within `atol`; labels (integers, strings) exactly. The answer must hold exactly the
    expected outputs, each with the expected shape after dropping size-1 dims.
    """
    assert isinstance(got, dict), f"{context}: the answer is not an object: {got!r}"
    assert set(got) == set(expected), f"{context}: outputs {sorted(got)} != expected {sorted(expected)}"
    for name, want in expected.items():
        want_arr = squeeze(want)
        got_arr = np.asarray(got[name])
        assert got_arr.shape == want_arr.shape, (
            f"{context}: output {name!r} has shape {got_arr.shape}, expected {want_arr.shape}: {got[name]!r}")
        if want_arr.dtype.kind == "f":
            assert got_arr.dtype.kind in "fiu", f"{context}: output {name!r} is not numeric: {got[name]!r}"
            np.testing.assert_allclose(got_arr.astype(np.float64), want_arr, rtol=0, atol=atol,
                                       err_msg=f"{context}: output {name!r}")
        else:
            assert got_arr.tolist() == want_arr.tolist(), f"{context}: output {name!r}: {got[name]!r} != {want!r}"


def assert_error(response, status, *fragments):
    """`response` is the error document {"status": status, "message": ...} with that HTTP status,
    and the message contains each of `fragments` (case-insensitive)."""
    assert response.status_code == status, (
        f"expected HTTP {status}, got {response.status_code}: {response.text[:500]!r}")
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("application/json"), f"error Content-Type is {content_type!r}"
    doc = response.json()
    assert isinstance(doc, dict), doc
    assert doc.get("status") == status, doc
    message = doc.get("message")
    assert isinstance(message, str) and message.strip(), doc
    for fragment in fragments:
        assert fragment.lower() in message.lower(), f"message does not name {fragment!r}: {message!r}"
    return doc


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One running `mlserving serve` process; its stdout and stderr go to one log file."""

    def __init__(self, model, args, log_dir):
        self.model = pathlib.Path(model)
        self.args = list(args)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = pathlib.Path(log_dir) / f"server-{self.port}.log"
        self._log_file = open(self.log_path, "wb")
        self.command = [str(BIN), "serve", str(self.model), "--host", HOST, "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(self.command, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def log(self):
        """Everything the server wrote so far (stdout and stderr)."""
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout=READY_TIMEOUT):
        """Polls /health/ready until 200. False when the process exits first (e.g. the port was
        taken between free_port() and bind); fails the test on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.url + "/health/ready", timeout=1).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"{self.command} not ready after {timeout} s; log:\n{self.log()}")

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return requests.get(self.url + path, **kwargs)

    def post(self, path, body=None, *, json_body=None, headers=None, **kwargs):
        """POSTs `json_body` serialized as JSON, or `body` (str/bytes) verbatim."""
        kwargs.setdefault("timeout", TIMEOUT)
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        return requests.post(self.url + path, data=body, headers=hdrs, **kwargs)

    def eval(self, json_body, **kwargs):
        return self.post("/eval", json_body=json_body, **kwargs)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Sends `sig` and waits for the exit; kills after `timeout`. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log_file.close()
        return self.proc.returncode


@pytest.fixture(scope="session")
def mlserving_bin():
    if not BIN.is_file() or not os.access(BIN, os.X_OK):
        pytest.fail(f"the mlserving binary is missing at {BIN}: build it (./scripts/build.sh mlserving) "
                    "or set MLSERVING_BIN")
    return BIN


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


@pytest.fixture(scope="session")
def log_dir():
    with tempfile.TemporaryDirectory(prefix="mlserving-it-") as d:
        yield pathlib.Path(d)


def _start(model, args, log_dir):
    last = None
    for _ in range(3):  # a port picked by free_port() may be taken before the server binds it
        server = Server(model, args, log_dir)
        if server.wait_ready():
            return server
        server.stop()
        last = server
        if "cannot start the server" not in last.log():
            break
    pytest.fail(f"{last.command} exited with {last.proc.returncode} before being ready; log:\n{last.log()}")


@pytest.fixture(scope="session")
def start_server(mlserving_bin, log_dir):
    """Factory: start_server(model_path, *extra_args) -> a ready Server, stopped at session end."""
    servers = []

    def start(model, *args):
        server = _start(model, args, log_dir)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(start_server):
    """Factory for servers that live only for the test: server(model, *extra_args)."""
    started = []

    def start(model, *args):
        s = start_server(model, *args)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def titanic_server(start_server):
    return start_server(model_path("titanic"))


@pytest.fixture(scope="session")
def iris_server(start_server):
    return start_server(model_path("iris"))


@pytest.fixture(scope="session")
def mlp_server(start_server):
    return start_server(model_path("mlp"))


@pytest.fixture(scope="session")
def model_servers(titanic_server, iris_server, mlp_server):
    return {"titanic": titanic_server, "iris": iris_server, "mlp": mlp_server}


def run_cli(*args, stdin=None, timeout=30):
    """Runs `mlserving ARGS`; returns the CompletedProcess (text mode)."""
    return subprocess.run([str(BIN), *map(str, args)], input=stdin, capture_output=True, text=True,
                          timeout=timeout)


# Requests of the titanic model used across the suite.
TITANIC_SINGLE = {"fare": 7, "sex": "male", "embarked": "Q", "pclass": "3", "age": 27}
TITANIC_BATCH = {"fare": [[7], [9]], "sex": [["male"], ["female"]], "embarked": [["Q"], ["S"]],
                 "pclass": [["3"], ["2"]], "age": [[27], [38]]}
TITANIC_COLUMNS = {"fare": [7, 9], "sex": ["male", "female"], "embarked": ["Q", "S"], "pclass": ["3", "2"],
                   "age": [27, 38]}


def titanic_rows(n, offset=0):
    """A batch-form titanic request of `n` rows."""
    sexes, ports, classes = ["male", "female"], ["S", "C", "Q"], ["1", "2", "3"]
    rows = range(offset, offset + n)
    return {
        "fare": [[5.0 + (i % 97) * 1.5] for i in rows],
        "sex": [[sexes[i % 2]] for i in rows],
        "embarked": [[ports[i % 3]] for i in rows],
        "pclass": [[classes[(i // 3) % 3]] for i in rows],
        "age": [[1.0 + (i % 79)] for i in rows],
    }

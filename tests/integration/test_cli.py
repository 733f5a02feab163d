"""The CLI: `describe`, `predict --json` and `predict --input ... --output-dir`."""

import json
import shutil

import numpy as np
import pytest

from conftest import FIXTURES, MODELS, TITANIC_SINGLE, load_cases, model_path, run_cli


@pytest.mark.parametrize("model", MODELS)
def test_describe_equals_get_describe(model_servers, model):
    p = run_cli("describe", model_path(model))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == model_servers[model].get("/describe").json()


@pytest.mark.parametrize("case", load_cases("titanic"), ids=lambda c: c["name"])
def test_predict_json_file_equals_eval(titanic_server, tmp_path, case):
    request = tmp_path / "request.json"
    request.write_text(json.dumps(case["request"]))
    p = run_cli("predict", model_path("titanic"), "--json", request)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert json.loads(p.stdout) == titanic_server.eval(case["request"]).json()


@pytest.mark.parametrize("model", ["iris", "mlp"])
def test_predict_json_equals_eval_for_other_models(model_servers, tmp_path, model):
    for case in load_cases(model):
        p = run_cli("predict", model_path(model), "--json", "-", stdin=json.dumps(case["request"]))
        assert p.returncode == 0, (case["name"], p.stdout, p.stderr)
        assert json.loads(p.stdout) == model_servers[model].eval(case["request"]).json(), case["name"]


def test_predict_json_from_stdin(titanic_server):
    p = run_cli("predict", model_path("titanic"), "--json", "-", stdin=json.dumps(TITANIC_SINGLE))
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["output_label"] == 0
    np.testing.assert_allclose(doc["output_probability"], [0.8705836534500122, 0.1294163465499878], atol=1e-5)


def test_predict_json_html(titanic_server):
    p = run_cli("predict", model_path("titanic"), "--json", "-", "--html", stdin=json.dumps(TITANIC_SINGLE))
    assert p.returncode == 0, p.stderr
    assert "output_label" in p.stdout and "output_probability" in p.stdout


@pytest.mark.parametrize("body,status,fragment", [
    ('{"fare": 7}', 400, "sex"),
    ("{", 400, ""),
    ('{"fare": "seven", "sex": "male", "embarked": "Q", "pclass": "3", "age": 27}', 400, "fare"),
])
def test_predict_json_bad_body_prints_the_error_document(titanic_server, body, status, fragment):
    p = run_cli("predict", model_path("titanic"), "--json", "-", stdin=body)
    assert p.returncode == 1, (p.stdout, p.stderr)
    doc = json.loads(p.stdout)
    assert doc["status"] == status, doc
    assert fragment in doc["message"], doc
    # The same document as the server's.
    assert doc == titanic_server.post("/eval", body).json()


def test_predict_json_missing_file(tmp_path):
    p = run_cli("predict", model_path("titanic"), "--json", tmp_path / "nope.json")
    assert p.returncode != 0
    assert "nope.json" in p.stdout + p.stderr


@pytest.mark.parametrize("model", MODELS)
def test_predict_npy_inputs_write_expected_outputs(tmp_path, model):
    inputs = sorted((FIXTURES / model / "inputs").glob("*.npy"))
    expected = sorted((FIXTURES / model / "expected").glob("*.npy"))
    assert inputs and expected
    out = tmp_path / "out"
    args = [a for f in inputs for a in ("--input", f"{f.stem}={f}")]
    p = run_cli("predict", model_path(model), *args, "--output-dir", out)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert sorted(f.name for f in out.iterdir()) == sorted(f.name for f in expected)
    for want_file in expected:
        want = np.load(want_file)
        got = np.load(out / want_file.name)
        assert got.shape == want.shape, (want_file.name, got.shape, want.shape)
        if want.dtype.kind == "f":
            assert got.dtype.kind == "f", (want_file.name, got.dtype)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-5, err_msg=want_file.name)
        else:
            assert got.dtype.kind == want.dtype.kind, (want_file.name, got.dtype, want.dtype)
            assert got.tolist() == want.tolist(), want_file.name


def test_predict_npy_unknown_input_fails(tmp_path):
    x = FIXTURES / "mlp" / "inputs" / "x.npy"
    p = run_cli("predict", model_path("mlp"), "--input", f"y={x}", "--output-dir", tmp_path)
    assert p.returncode != 0
    assert "y" in p.stderr


def test_predict_npy_without_output_dir_fails():
    x = FIXTURES / "mlp" / "inputs" / "x.npy"
    p = run_cli("predict", model_path("mlp"), "--input", f"x={x}")
    assert p.returncode != 0
    assert "--output-dir" in p.stderr


def test_predict_npy_not_a_npy_file(tmp_path):
    bad = tmp_path / "x.npy"
    bad.write_bytes(b"\x93NUMPY garbage")
    p = run_cli("predict", model_path("mlp"), "--input", f"x={bad}", "--output-dir", tmp_path / "out")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "x.npy" in p.stderr


def test_help_lists_the_commands():
    p = run_cli("--help")
    assert p.returncode == 0
    for command in ("serve", "describe", "predict", "bench"):
        assert command in p.stdout


def test_bench_prints_latency_statistics():
    p = run_cli("bench", model_path("mlp"), "--shape", "x=8,4", "--iterations", "20", "--warmup", "2",
                "--threads", "2")
    assert p.returncode == 0, (p.stdout, p.stderr)
    stats = json.loads(p.stdout)
    for key in ("median_ms", "p90_ms", "p99_ms", "iterations", "threads", "peak_rss_mb"):
        assert key in stats, key
    assert stats["iterations"] == 20 and stats["threads"] == 2
    assert 0 < stats["median_ms"] <= stats["p90_ms"] <= stats["p99_ms"]
    assert stats["peak_rss_mb"] > 0


def test_bench_output_is_json_whatever_the_model_path(tmp_path):
    # A path with a quote and a backslash must still give parseable JSON naming the model.
    odd = tmp_path / 'my "best" \\ model.onnx'
    shutil.copyfile(model_path("mlp"), odd)
    p = run_cli("bench", str(odd), "--shape", "x=2,4", "--iterations", "3", "--warmup", "1")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert json.loads(p.stdout)["model"] == str(odd)


def test_bench_with_input_files():
    x = FIXTURES / "mlp" / "inputs" / "x.npy"
    p = run_cli("bench", model_path("mlp"), "--input", f"x={x}", "--iterations", "5")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert json.loads(p.stdout)["iterations"] == 5


def test_bench_rejects_a_shape_that_contradicts_the_model():
    p = run_cli("bench", model_path("mlp"), "--shape", "x=2,5", "--iterations", "5")
    assert p.returncode == 1
    assert "[-1,4]" in p.stderr

"""Models that cannot be served: a clear error and a non-zero exit, never a crash."""

import pytest

from conftest import FIXTURES, run_cli

BROKEN = FIXTURES / "broken"


def commands(model):
    return {
        "serve": ["serve", model, "--host", "127.0.0.1", "--port", "1"],
        "describe": ["describe", model],
        "predict": ["predict", model, "--json", "-"],
    }


def run(command, model):
    p = run_cli(*commands(model)[command], stdin="{}", timeout=30)
    output = p.stdout + p.stderr
    assert p.returncode not in (0,), output
    assert p.returncode > 0, f"killed by signal {-p.returncode}: {output}"
    return output


@pytest.mark.parametrize("command", ["serve", "describe", "predict"])
def test_truncated_model(command):
    output = run(command, BROKEN / "truncated.onnx")
    assert "not a valid ONNX model" in output, output
    assert "truncated.onnx" in output, output


@pytest.mark.parametrize("command", ["serve", "describe", "predict"])
def test_text_file_is_not_a_model(command):
    output = run(command, BROKEN / "not_a_model.onnx")
    assert "not a valid ONNX model" in output, output


@pytest.mark.parametrize("command", ["serve", "describe", "predict"])
def test_unsupported_ops_are_listed_together(command):
    output = run(command, BROKEN / "unsupported_ops.onnx")
    lines = [line for line in output.splitlines()
             if "com.example.Frobnicate" in line and "com.example.Transmogrify" in line
             and "org.acme.Quux" in line]
    assert lines, f"no one message names Frobnicate, Transmogrify and Quux: {output}"


@pytest.mark.parametrize("command", ["serve", "describe", "predict"])
def test_missing_model(command, tmp_path):
    output = run(command, tmp_path / "missing.onnx")
    assert "does not exist" in output, output
    assert "missing.onnx" in output, output


def test_serve_of_a_broken_model_does_not_listen():
    # --port 1 would need privileges: the load error must come first, and nothing is served.
    output = run("serve", BROKEN / "truncated.onnx")
    assert "Serving on" not in output, output

"""The ai.onnx.ml regressors, feature steps and label maps (fixtures/regressors, fixtures/labelmaps)
served and run by `mlserving predict`; every answer must equal onnxruntime's (<name>.cases.json).

regressors/: scikit-learn exports through skl2onnx (LinearRegressor, SVMRegressor, Scaler,
TreeEnsembleRegressor in its ai.onnx.ml 1 and 3 forms, ArrayFeatureExtractor + Binarizer,
FeatureVectorizer joining two inputs). labelmaps/: hand-built LabelEncoder (ai.onnx.ml 1, 2, 4) and
CategoryMapper models whose cases include unknown keys, so every default value is exercised.
Floats are compared with rtol 1e-5 (the regressors predict masses of ~4000 g in float32),
integers and strings exactly.
"""

import json

import numpy as np
import pytest

from conftest import FIXTURES, run_cli

MODELS = [
    ("regressors", "linear"),
    ("regressors", "svr"),
    ("regressors", "forest"),
    ("regressors", "boosting"),
    ("regressors", "columns"),
    ("regressors", "vectorizer"),
    ("labelmaps", "labels_ml1"),
    ("labelmaps", "labels_ml2"),
    ("labelmaps", "labels_ml4"),
]
RTOL = 1e-5


def model_file(folder, name):
    return FIXTURES / folder / f"{name}.onnx"


def load_model_cases(folder, name):
    with open(FIXTURES / folder / f"{name}.cases.json", encoding="utf-8") as f:
        return json.load(f)


CASES = [(folder, name, case) for folder, name in MODELS for case in load_model_cases(folder, name)]
CASE_IDS = [f"{folder}/{name}-{case['name']}" for folder, name, case in CASES]


def assert_equals_onnxruntime(got, expected, context):
    """`got` (a JSON answer) holds exactly the outputs of `expected` (batch form, size-1 dims dropped
    in the answer): floats within RTOL, integers and strings equal, integers never as floats."""
    assert isinstance(got, dict), f"{context}: the answer is not an object: {got!r}"
    assert set(got) == set(expected), f"{context}: outputs {sorted(got)} != expected {sorted(expected)}"
    for name, want in expected.items():
        want_arr = np.squeeze(np.asarray(want))
        got_arr = np.asarray(got[name])
        assert got_arr.shape == want_arr.shape, (
            f"{context}: output {name!r} has shape {got_arr.shape}, expected {want_arr.shape}: {got[name]!r}")
        if want_arr.dtype.kind == "f":
            assert got_arr.dtype.kind in "fiu", f"{context}: output {name!r} is not numeric: {got[name]!r}"
            np.testing.assert_allclose(got_arr.astype(np.float64), want_arr, rtol=RTOL, atol=0,
                                       err_msg=f"{context}: output {name!r}")
        else:
            assert got_arr.dtype.kind == want_arr.dtype.kind, (
                f"{context}: output {name!r} is {got_arr.dtype}, expected {want_arr.dtype}: {got[name]!r}")
            assert got_arr.tolist() == want_arr.tolist(), f"{context}: output {name!r}: {got[name]!r} != {want!r}"


@pytest.fixture(scope="module")
def servers(start_server):
    """One server per model, started on first use."""
    started = {}

    def get(folder, name):
        key = (folder, name)
        if key not in started:
            started[key] = start_server(model_file(folder, name))
        return started[key]

    return get


def test_every_fixture_model_has_a_test():
    on_disk = {(p.parent.name, p.stem) for folder in ("regressors", "labelmaps")
               for p in (FIXTURES / folder).glob("*.onnx")}
    assert on_disk == set(MODELS)


@pytest.mark.parametrize("folder,name,case", CASES, ids=CASE_IDS)
def test_eval_equals_onnxruntime(servers, folder, name, case):
    r = servers(folder, name).eval(case["request"])
    assert r.status_code == 200, r.text
    assert_equals_onnxruntime(r.json(), case["expected"], f"{folder}/{name}/{case['name']} ({case['request_form']})")


@pytest.mark.parametrize("folder,name", MODELS, ids=[f"{f}/{n}" for f, n in MODELS])
def test_predict_cli_equals_onnxruntime(tmp_path, folder, name):
    case = load_model_cases(folder, name)[-1]  # the batch case
    assert case["request_form"] == "batch"
    request = tmp_path / "request.json"
    request.write_text(json.dumps(case["request"]), encoding="utf-8")
    result = run_cli("predict", model_file(folder, name), "--json", request)
    assert result.returncode == 0, result.stderr
    assert_equals_onnxruntime(json.loads(result.stdout), case["expected"], f"predict {folder}/{name}")


@pytest.mark.parametrize("name", ["linear", "forest", "boosting"])
def test_a_batch_row_equals_the_same_row_alone(servers, name):
    rows = load_model_cases("regressors", name)[-1]["request"]["x"]
    server = servers("regressors", name)
    together = server.eval({"x": rows}).json()["variable"]
    for i, row in enumerate(rows):
        alone = server.eval({"x": row}).json()["variable"]
        np.testing.assert_allclose(alone, together[i], rtol=RTOL)  # [N, 1] answers as a flat list


def test_unknown_keys_take_the_defaults(servers):
    got = servers("labelmaps", "labels_ml1").eval(
        {"species": ["Emperor", "Gentoo"], "island_code": [-1, 2], "sex": ["", "MALE"]}).json()
    assert got == {"species_code": [-1, 2], "island": ["unknown", "Torgersen"], "sex_code": [-1, 20],
                   "island_name": ["nowhere", "Torgersen"]}

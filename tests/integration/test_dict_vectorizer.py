"""A scikit-learn DictVectorizer pipeline (fixtures/dictvec): an ONNX map(string, float) input.

Requests give the map as an object, as the whole body, or as a list of objects for a batch;
answers must equal onnxruntime's (cases.json)."""

import json

import pytest

from conftest import FIXTURES, assert_error, assert_outputs_match, load_cases, run_cli

MODEL = FIXTURES / "dictvec" / "dictvec.onnx"
VOCABULARY = ["bill_depth_mm", "bill_length_mm", "body_mass_g", "flipper_length_mm"]


@pytest.fixture(scope="module")
def dictvec_server(start_server):
    return start_server(MODEL)


@pytest.mark.parametrize("case", load_cases("dictvec"), ids=lambda c: c["name"])
def test_answers_equal_onnxruntime(dictvec_server, case):
    r = dictvec_server.eval(case["request"])
    assert r.status_code == 200, r.text
    assert_outputs_match(r.json(), case["expected"], context=f"dictvec/{case['name']} ({case['request_form']})")


def test_describe_shows_the_map_and_its_keys(dictvec_server):
    inputs = dictvec_server.get("/describe").json()["inputs"]
    assert len(inputs) == 1
    assert inputs[0]["name"] == "measurements"
    assert inputs[0]["map"] is True
    assert inputs[0]["columns"] == VOCABULARY
    assert inputs[0]["shape"] == [-1, len(VOCABULARY)]


def test_an_empty_map_is_every_feature_zero(dictvec_server):
    # onnxruntime refuses an empty map; scikit-learn vectorizes it to zeros, as we do.
    empty = dictvec_server.eval({"measurements": {}})
    zeros = dictvec_server.eval({"measurements": {k: 0 for k in VOCABULARY}})
    assert empty.status_code == 200, empty.text
    assert empty.json() == zeros.json()


def test_a_batch_row_equals_the_same_map_alone(dictvec_server):
    batch = load_cases("dictvec")[-1]["request"]["measurements"]
    together = dictvec_server.eval({"measurements": batch}).json()
    for i, record in enumerate(batch):
        alone = dictvec_server.eval({"measurements": record}).json()
        assert alone["label"] == together["label"][i]


@pytest.mark.parametrize("body,fragment", [
    ({"measurements": [1.0, 2.0]}, "map"),
    ({"measurements": 3.5}, "map"),
    ({"measurements": {"bill_length_mm": "long"}}, "measurements"),
])
def test_a_map_of_the_wrong_form_is_a_400(dictvec_server, body, fragment):
    assert_error(dictvec_server.eval(body), 400, fragment)


def test_predict_cli_takes_the_map(tmp_path):
    case = load_cases("dictvec")[0]
    request = tmp_path / "request.json"
    request.write_text(json.dumps(case["request"]), encoding="utf-8")
    result = run_cli("predict", str(MODEL), "--json", str(request))
    assert result.returncode == 0, result.stderr
    assert_outputs_match(json.loads(result.stdout), case["expected"], context="predict --json")

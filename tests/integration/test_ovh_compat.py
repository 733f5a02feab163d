"""The original ML Serving runtime's own Titanic model and expected values
(../shared/conformance/ovh-serving-runtime, see its INDEX.md), served unchanged."""

import numpy as np
import pytest

from conftest import ROOT

OVH = ROOT.parent / "shared" / "conformance" / "ovh-serving-runtime"
MODEL = OVH / "examples" / "pipeline_titanic.onnx"

BATCH = {"pclass": ["3", "3"], "sex": ["male", "female"], "age": [30, 48], "fare": [7.8958, 34.375],
         "embarked": ["S", "S"]}
SINGLE = {"pclass": "3", "sex": "male", "age": 30, "fare": 7.8958, "embarked": "S"}


@pytest.fixture(scope="module")
def ovh_server(start_server):
    if not MODEL.is_file():
        pytest.skip(f"SKIPPED LOUDLY: the ovh/serving-runtime conformance files are absent ({MODEL} not found); "
                    "they live in ../shared next to the repository")
    return start_server(MODEL)


def test_describe(ovh_server):
    r = ovh_server.get("/describe")
    assert r.status_code == 200, r.text
    doc = r.json()
    inputs = {e["name"]: (e["type"], e["shape"]) for e in doc["inputs"]}
    outputs = {e["name"]: e["type"] for e in doc["outputs"]}
    assert len(doc["inputs"]) == 5 and len(doc["outputs"]) == 2, doc  # what OnnxIT checks
    assert inputs == {"pclass": ("string", [-1, 1]), "sex": ("string", [-1, 1]), "age": ("float", [-1, 1]),
                      "fare": ("float", [-1, 1]), "embarked": ("string", [-1, 1])}, doc
    assert outputs == {"output_label": "long", "output_probability": "float"}, doc
    probability = next(e for e in doc["outputs"] if e["name"] == "output_probability")
    assert probability["shape"] == [-1, 2], doc


def test_describe_batched_label_is_dynamic(ovh_server):
    # The file declares output_label as [1] although the real output is batched ([2] for a batch
    # of two); the original runtime describes such outputs with a dynamic batch dimension
    # (INDEX.md 1.1: iris's declared [1] label is described as [-1]).
    doc = ovh_server.get("/describe").json()
    label = next(e for e in doc["outputs"] if e["name"] == "output_label")
    assert label["shape"] == [-1], doc


def test_batch_of_columns(ovh_server):
    r = ovh_server.eval(BATCH)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["output_label"] == [0, 1]
    np.testing.assert_allclose(doc["output_probability"], [[0.80328506, 0.19671494], [0.39885646, 0.60114354]],
                               atol=1e-3)


def test_single_instance(ovh_server):
    r = ovh_server.eval(SINGLE)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["output_label"] == 0
    np.testing.assert_allclose(doc["output_probability"], [0.8032850623, 0.1967149377], atol=1e-5)


def test_batch_matches_the_evaluator_level_values(ovh_server):
    # OnnxGeneratorTitanicTest's tolerance is 1e-7 on float32 values; 1e-6 leaves room for
    # float32 rounding in a different (but correct) evaluation order.
    r = ovh_server.eval(BATCH)
    assert r.status_code == 200, r.text
    doc = r.json()
    np.testing.assert_allclose(doc["output_probability"],
                               [[0.8032850623, 0.1967149377], [0.3988564610, 0.6011435390]], atol=1e-6)

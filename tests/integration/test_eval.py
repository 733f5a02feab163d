"""POST /eval: every fixture case of every model, the three JSON forms and Accept handling."""

import json

import numpy as np
import pytest

from conftest import (MODELS, TITANIC_BATCH, TITANIC_COLUMNS, TITANIC_SINGLE, assert_error, assert_outputs_match,
                      load_cases)

CASES = [(model, case) for model in MODELS for case in load_cases(model)]


@pytest.mark.parametrize("model,case", CASES, ids=[f"{m}-{c['name']}" for m, c in CASES])
def test_fixture_case(model_servers, model, case):
    r = model_servers[model].eval(case["request"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert_outputs_match(r.json(), case["expected"], context=f"{model}/{case['name']} ({case['request_form']})")


def test_batch_form_returns_one_prediction_per_row(titanic_server):
    r = titanic_server.eval(TITANIC_BATCH)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["output_label"] == [0, 1]
    assert np.asarray(doc["output_probability"]).shape == (2, 2)


def test_single_instance_returns_plain_values(titanic_server):
    r = titanic_server.eval(TITANIC_SINGLE)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["output_label"] == 0  # a plain number, not [0] nor [[0]]
    p = doc["output_probability"]
    assert isinstance(p, list) and len(p) == 2 and all(isinstance(v, float) for v in p), p
    assert abs(sum(p) - 1) < 1e-5, p
    np.testing.assert_allclose(p, [0.8705836534500122, 0.1294163465499878], atol=1e-5)


def test_columns_form_equals_batch_form(titanic_server):
    batch = titanic_server.eval(TITANIC_BATCH)
    columns = titanic_server.eval(TITANIC_COLUMNS)
    assert batch.status_code == columns.status_code == 200, (batch.text, columns.text)
    assert columns.json()["output_label"] == batch.json()["output_label"]
    np.testing.assert_allclose(columns.json()["output_probability"], batch.json()["output_probability"], atol=1e-6)


def test_each_row_of_a_batch_equals_its_single_instance(titanic_server):
    batch = titanic_server.eval(TITANIC_BATCH).json()
    for i in range(2):
        single = {name: value[i][0] for name, value in TITANIC_BATCH.items()}
        one = titanic_server.eval(single).json()
        assert one["output_label"] == batch["output_label"][i]
        np.testing.assert_allclose(one["output_probability"], batch["output_probability"][i], atol=1e-5)


def test_iris_string_labels_and_batch_of_one(iris_server):
    single = iris_server.eval({"float_input": [6.5, 3, 5.5, 1.8]}).json()
    batch_of_one = iris_server.eval({"float_input": [[6.5, 3, 5.5, 1.8]]}).json()
    assert single["output_label"] == "virginica"
    assert batch_of_one == single  # size-1 dims dropped both ways


def test_mlp_batch_probabilities_sum_to_one(mlp_server):
    rows = [[(i * 0.37) % 2 - 1, (i * 0.11) % 1, -0.5 + i / 100, 0.25] for i in range(50)]
    r = mlp_server.eval({"x": rows})
    assert r.status_code == 200, r.text
    p = np.asarray(r.json()["probabilities"])
    assert p.shape == (50, 3)
    np.testing.assert_allclose(p.sum(axis=1), np.ones(50), atol=1e-5)


def test_integral_floats_and_integers_are_the_same_number(titanic_server):
    a = titanic_server.eval(TITANIC_SINGLE).json()
    b = titanic_server.eval(dict(TITANIC_SINGLE, fare=7.0, age=27.0)).json()
    c = titanic_server.eval(dict(TITANIC_SINGLE, fare=7e0, age=2.7e1)).json()
    assert a == b == c


def test_unseen_unicode_category_is_accepted(titanic_server):
    # An escaped and a raw non-ASCII string: unseen categories are one-hot encoded as all zeros.
    body = '{"fare": 7, "sex": "m\\u00e2le \\"x\\"", "embarked": "Zürich", "pclass": "3", "age": 27}'
    r = titanic_server.post("/eval", body)
    assert r.status_code == 200, r.text
    assert r.json()["output_label"] in (0, 1)


def test_content_type_with_charset_and_missing_content_type(titanic_server):
    body = json.dumps(TITANIC_SINGLE)
    want = titanic_server.eval(TITANIC_SINGLE).json()
    r = titanic_server.post("/eval", body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert r.json() == want
    r = titanic_server.post("/eval", body, headers={"Content-Type": "Application/JSON"})
    assert r.status_code == 200, r.text
    # No Content-Type at all: JSON is the default.
    import requests
    r = requests.post(titanic_server.url + "/eval", data=body.encode(), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == want


def test_whitespace_around_json_is_accepted(titanic_server):
    r = titanic_server.post("/eval", "\n\t " + json.dumps(TITANIC_SINGLE, indent=2) + " \r\n")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/*", "",
                                    "text/html;q=0.5, application/json", "image/gif, application/json;q=0.1"])
def test_accept_json(titanic_server, accept):
    r = titanic_server.eval(TITANIC_SINGLE, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert r.json()["output_label"] == 0


@pytest.mark.parametrize("accept", ["text/html", "text/*", "text/html, application/json;q=0.9"])
def test_accept_html(titanic_server, accept):
    r = titanic_server.eval(TITANIC_BATCH, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    page = r.text
    assert "<html" in page.lower() or "<table" in page.lower(), page[:300]
    assert "output_label" in page and "output_probability" in page


@pytest.mark.parametrize("accept", ["image/gif", "application/xml", "application/json;q=0"])
def test_unsupported_accept_is_406(titanic_server, accept):
    r = titanic_server.eval(TITANIC_SINGLE, headers={"Accept": accept})
    assert_error(r, 406)

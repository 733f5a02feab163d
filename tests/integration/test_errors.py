"""Bad requests: each answered with the error document {"status", "message"} and its HTTP status."""

import json
import socket

import pytest
import requests

from conftest import HOST, TIMEOUT, TITANIC_SINGLE, assert_error, model_path, titanic_rows


def with_(base, **changes):
    body = dict(base)
    body.update(changes)
    return body


def without(base, name):
    return {k: v for k, v in base.items() if k != name}


@pytest.mark.parametrize("body", ['{"fare": [7,', '{"fare": 7,}', "{fare: 7}", "not json", '{"fare": 7} trailing',
                                  '{"fare": 7, "sex": "male', '{"fare": 01}'])
def test_malformed_json_is_400(titanic_server, body):
    assert_error(titanic_server.post("/eval", body), 400)


def test_empty_body_is_400(titanic_server):
    assert_error(titanic_server.post("/eval", b""), 400)


@pytest.mark.parametrize("body", ["[1, 2]", '"fare"', "7", "null", "true", "[]"])
def test_body_not_an_object_is_400(titanic_server, body):
    assert_error(titanic_server.post("/eval", body), 400)


@pytest.mark.parametrize("name", ["fare", "sex", "embarked", "pclass", "age"])
def test_missing_input_is_400_and_named(titanic_server, name):
    assert_error(titanic_server.eval(without(TITANIC_SINGLE, name)), 400, name)


def test_empty_object_is_400(titanic_server):
    assert_error(titanic_server.eval({}), 400)


def test_unknown_input_is_400_and_named(titanic_server):
    assert_error(titanic_server.eval(with_(TITANIC_SINGLE, colour="blue")), 400, "colour")


def test_string_for_a_float_input_is_400(titanic_server):
    assert_error(titanic_server.eval(with_(TITANIC_SINGLE, fare="seven")), 400, "fare")


def test_number_for_a_string_input_is_400(titanic_server):
    assert_error(titanic_server.eval(with_(TITANIC_SINGLE, sex=7)), 400, "sex")


@pytest.mark.parametrize("value", [{"a": 1}, [{"a": 1}], [[7], ["x"]]])
def test_objects_and_mixed_arrays_are_400(titanic_server, value):
    assert_error(titanic_server.eval(with_(TITANIC_SINGLE, fare=value)), 400, "fare")


def test_ragged_array_is_400(titanic_server):
    body = titanic_rows(2)
    body["fare"] = [[7], [9, 10]]
    assert_error(titanic_server.eval(body), 400, "fare")


def test_ragged_array_of_strings_is_400(titanic_server):
    body = titanic_rows(2)
    body["sex"] = [["male", "female"], ["male"]]
    assert_error(titanic_server.eval(body), 400, "sex")


def test_element_count_fitting_no_shape_is_400(titanic_server):
    body = titanic_rows(1)
    body["fare"] = [[1, 2]]
    assert_error(titanic_server.eval(body), 400, "fare")


def test_iris_wrong_width_is_400(iris_server):
    assert_error(iris_server.eval({"float_input": [6.5, 3, 5.5]}), 400, "float_input")
    assert_error(iris_server.eval({"float_input": [[6.5, 3, 5.5, 1.8, 2.0]]}), 400, "float_input")


def test_inputs_with_different_batch_sizes_are_400(titanic_server):
    body = titanic_rows(2)
    body["age"] = [[30]]
    r = titanic_server.eval(body)
    assert_error(r, 400)


def test_invalid_utf8_is_400(titanic_server):
    body = json.dumps(TITANIC_SINGLE).replace('"male"', '"m\xffle"').encode("latin-1")
    assert_error(titanic_server.post("/eval", body), 400)


@pytest.mark.parametrize("content_type", ["text/csv", "image/png", "application/json; charset=latin1"])
def test_unsupported_content_type_is_415(titanic_server, content_type):
    r = titanic_server.post("/eval", json.dumps(TITANIC_SINGLE), headers={"Content-Type": content_type})
    assert_error(r, 415)


def test_curl_d_json_body_is_accepted(titanic_server):
    # `curl -d '{...}'` sends Content-Type application/x-www-form-urlencoded: a JSON object body
    # is read as JSON so the copy-pasted examples work; a real form body is refused.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = titanic_server.post("/eval", json.dumps(TITANIC_SINGLE), headers=form)
    assert r.status_code == 200, r.text
    assert "output_label" in r.json()
    assert_error(titanic_server.post("/eval", "fare=7&sex=male", headers=form), 415)


@pytest.mark.parametrize("path", ["/nope", "/eval/extra", "/describe/", "/health", "/EVAL"])
def test_unknown_route_is_404(titanic_server, path):
    assert_error(titanic_server.get(path), 404)


@pytest.mark.parametrize("method,path,allowed", [("GET", "/eval", "POST"), ("PUT", "/eval", "POST"),
                                                 ("DELETE", "/describe", "GET"), ("POST", "/describe", "GET"),
                                                 ("POST", "/health/ready", "GET"), ("PATCH", "/metrics", "GET")])
def test_wrong_method_is_405_with_allow(titanic_server, method, path, allowed):
    r = requests.request(method, titanic_server.url + path, timeout=TIMEOUT)
    assert_error(r, 405, method)
    assert "Allow" in r.headers, r.headers
    assert allowed in [m.strip() for m in r.headers["Allow"].split(",")], r.headers["Allow"]


def test_the_server_still_answers_after_errors(titanic_server):
    assert titanic_server.eval(TITANIC_SINGLE).status_code == 200


# ---- limits ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_body_server(start_server):
    return start_server(model_path("titanic"), "--max-body-bytes", "1000")


@pytest.fixture(scope="module")
def shallow_server(start_server):
    return start_server(model_path("titanic"), "--max-json-depth", "4")


@pytest.fixture(scope="module")
def few_elements_server(start_server):
    return start_server(model_path("titanic"), "--max-tensor-elements", "10")


def test_body_within_the_limit_is_accepted(small_body_server):
    assert small_body_server.eval(TITANIC_SINGLE).status_code == 200


def test_body_too_large_is_413(small_body_server):
    # Valid JSON whose only fault is its size.
    body = json.dumps(TITANIC_SINGLE)[:-1] + " " * 2000 + "}"
    assert_error(small_body_server.post("/eval", body), 413)
    assert small_body_server.eval(TITANIC_SINGLE).status_code == 200


def test_body_too_large_is_413_for_a_big_batch(small_body_server):
    assert_error(small_body_server.eval(titanic_rows(200)), 413)


def test_oversized_declared_content_length_is_413_without_the_body(small_body_server):
    # The server refuses from the headers alone; the client never sends the 10 MB.
    with socket.create_connection((HOST, small_body_server.port), timeout=TIMEOUT) as s:
        s.sendall(b"POST /eval HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 10000000\r\n\r\n{")
        data = s.recv(65536)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]


def test_json_within_the_depth_limit_is_accepted(shallow_server):
    assert shallow_server.eval(titanic_rows(3)).status_code == 200


def test_too_deep_json_is_rejected(shallow_server):
    body = with_(TITANIC_SINGLE, fare=[[[[[[[[7]]]]]]]])
    r = shallow_server.eval(body)
    assert r.status_code in (400, 413), r.text
    assert_error(r, r.status_code)


def test_very_deep_json_does_not_crash(titanic_server):
    # Far past the default depth limit (32): refused, and the server survives.
    body = '{"fare": ' + "[" * 100000 + "7" + "]" * 100000 + ', "sex": "male", "embarked": "S", "pclass": "3", "age": 1}'
    r = titanic_server.post("/eval", body)
    assert r.status_code in (400, 413), r.text[:300]
    assert_error(r, r.status_code)
    assert titanic_server.get("/health/live").status_code == 200


def test_few_elements_are_accepted(few_elements_server):
    assert few_elements_server.eval(TITANIC_SINGLE).status_code == 200


def test_too_many_elements_is_413(few_elements_server):
    assert_error(few_elements_server.eval(titanic_rows(20)), 413)


def test_header_too_large_is_431(titanic_server):
    r = titanic_server.eval(TITANIC_SINGLE, headers={"X-Padding": "a" * 20000})
    assert_error(r, 431)

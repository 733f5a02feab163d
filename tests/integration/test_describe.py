"""GET /describe: the model's signature with the API type names and -1 for dynamic dims."""

import pytest

EXPECTED = {
    "titanic": {
        "inputs": [
            {"name": "fare", "type": "float", "shape": [-1, 1]},
            {"name": "sex", "type": "string", "shape": [-1, 1]},
            {"name": "embarked", "type": "string", "shape": [-1, 1]},
            {"name": "pclass", "type": "string", "shape": [-1, 1]},
            {"name": "age", "type": "float", "shape": [-1, 1]},
        ],
        "outputs": [
            {"name": "output_label", "type": "long", "shape": [-1]},
            {"name": "output_probability", "type": "float", "shape": [-1, 2]},
        ],
    },
    "iris": {
        "inputs": [{"name": "float_input", "type": "float", "shape": [-1, 4]}],
        "outputs": [
            {"name": "output_label", "type": "string", "shape": [-1]},
            {"name": "output_probability", "type": "float", "shape": [-1, 3]},
        ],
    },
    "mlp": {
        "inputs": [{"name": "x", "type": "float", "shape": [-1, 4]}],
        "outputs": [{"name": "probabilities", "type": "float", "shape": [-1, 3]}],
    },
}

API_TYPES = {"string", "integer", "long", "float", "double", "boolean"}


def _strip(entries):
    """name/type/shape of each entry (extra fields are allowed)."""
    return [{k: e.get(k) for k in ("name", "type", "shape")} for e in entries]


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_describe_matches_the_signature(model_servers, model):
    r = model_servers[model].get("/describe")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert set(doc) >= {"inputs", "outputs"}, doc
    assert _strip(doc["inputs"]) == EXPECTED[model]["inputs"]
    assert _strip(doc["outputs"]) == EXPECTED[model]["outputs"]


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_describe_uses_api_type_names(model_servers, model):
    doc = model_servers[model].get("/describe").json()
    for entry in doc["inputs"] + doc["outputs"]:
        assert entry["type"] in API_TYPES, entry
        assert all(isinstance(d, int) and d >= -1 and d != 0 for d in entry["shape"]), entry


def test_describe_ignores_query_string(titanic_server):
    r = titanic_server.get("/describe?verbose=1")
    assert r.status_code == 200, r.text
    assert _strip(r.json()["inputs"]) == EXPECTED["titanic"]["inputs"]


def test_describe_is_stable_across_calls(titanic_server):
    first = titanic_server.get("/describe").text
    assert all(titanic_server.get("/describe").text == first for _ in range(3))


def test_index_lists_the_routes(titanic_server):
    r = titanic_server.get("/")
    assert r.status_code == 200, r.text
    doc = r.json()
    routes = " ".join(doc.get("routes", []))
    for route in ("/describe", "/eval", "/health/live", "/health/ready", "/metrics", "/openapi.json"):
        assert route in routes, doc

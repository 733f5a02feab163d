"""/health/live, /health/ready, /metrics (Prometheus text) and /openapi.json."""

import re
import time
import uuid

import pytest

from conftest import TITANIC_BATCH, TITANIC_SINGLE

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, {label: value}, float)] of every sample; fails on a malformed line."""
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(LABEL.findall(m.group(3) or ""))
        value = m.group(4)
        samples.append((m.group(1), labels, float(value.replace("+Inf", "inf"))))
    return samples


def metric(samples, name, **labels):
    """Sum of the samples named `name` whose labels include `labels`."""
    return sum(v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in labels.items()))


def scrape(server):
    r = server.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    return r.text, parse_metrics(r.text)


def test_live(titanic_server):
    r = titanic_server.get("/health/live")
    assert r.status_code == 200, r.text


def test_ready(titanic_server):
    r = titanic_server.get("/health/ready")
    assert r.status_code == 200, r.text


def test_eval_requests_are_counted(titanic_server):
    _, before = scrape(titanic_server)
    n0 = metric(before, "mlserving_requests_total", route="/eval", status="200")
    for _ in range(3):
        assert titanic_server.eval(TITANIC_SINGLE).status_code == 200
    text, after = scrape(titanic_server)
    assert metric(after, "mlserving_requests_total", route="/eval", status="200") == n0 + 3, text
    # The method is a label too.
    assert metric(after, "mlserving_requests_total", route="/eval", method="POST", status="200") >= 3, text


def test_errors_are_counted_with_their_status(titanic_server):
    _, before = scrape(titanic_server)
    n400 = metric(before, "mlserving_requests_total", route="/eval", status="400")
    n404 = metric(before, "mlserving_requests_total", status="404")
    titanic_server.eval({"fare": 7})
    titanic_server.get("/no/such/route")
    text, after = scrape(titanic_server)
    assert metric(after, "mlserving_requests_total", route="/eval", status="400") == n400 + 1, text
    assert metric(after, "mlserving_requests_total", status="404") == n404 + 1, text
    # Unknown paths share one label value, so the metric's cardinality stays bounded.
    assert "/no/such/route" not in text


def test_duration_histogram(titanic_server):
    titanic_server.eval(TITANIC_SINGLE)
    text, samples = scrape(titanic_server)
    assert "# TYPE mlserving_request_duration_seconds histogram" in text
    buckets = [(l, v) for n, l, v in samples if n == "mlserving_request_duration_seconds_bucket" and l.get("route") == "/eval"]
    assert buckets, text
    inf = [v for l, v in buckets if l.get("le") == "+Inf"]
    assert inf and inf[0] >= 1, buckets
    # Cumulative buckets never decrease with `le`.
    finite = sorted(((float(l["le"]), v) for l, v in buckets if l["le"] != "+Inf"))
    counts = [v for _, v in finite]
    assert counts == sorted(counts), finite
    assert counts[-1] <= inf[0]
    assert metric(samples, "mlserving_request_duration_seconds_count", route="/eval") == inf[0]
    assert metric(samples, "mlserving_request_duration_seconds_sum", route="/eval") > 0


def test_rows_evaluated(titanic_server):
    _, before = scrape(titanic_server)
    rows0 = metric(before, "mlserving_rows_evaluated_total")
    assert titanic_server.eval(TITANIC_BATCH).status_code == 200
    assert titanic_server.eval(TITANIC_SINGLE).status_code == 200
    text, after = scrape(titanic_server)
    assert metric(after, "mlserving_rows_evaluated_total") == rows0 + 3, text


def test_model_load_seconds(titanic_server):
    text, samples = scrape(titanic_server)
    assert any(n == "mlserving_model_load_seconds" for n, _, _ in samples), text
    assert metric(samples, "mlserving_model_load_seconds") > 0


def test_every_metric_has_a_type(titanic_server):
    text, samples = scrape(titanic_server)
    typed = set(re.findall(r"^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$", text, re.M))
    names = {n for n, _ in typed}
    for name in ("mlserving_requests_total", "mlserving_rows_evaluated_total", "mlserving_model_load_seconds",
                 "mlserving_request_duration_seconds"):
        assert name in names, text
    for sample_name, _, _ in samples:
        base = re.sub(r"_(bucket|sum|count)$", "", sample_name)
        assert sample_name in names or base in names, f"{sample_name} has no # TYPE line"


# ---- request log ---------------------------------------------------------------------------------


def wait_for_log_line(server, *fragments, timeout=3):
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in server.log().splitlines() if all(f in line for f in fragments)]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def test_one_log_line_per_request(titanic_server):
    probe = uuid.uuid4().hex
    assert titanic_server.eval(TITANIC_SINGLE, params={"probe": probe}).status_code == 200
    lines = wait_for_log_line(titanic_server, probe)
    assert len(lines) == 1, lines
    line = lines[0]
    assert "POST" in line and "/eval" in line and "200" in line, line


def test_error_requests_are_logged_with_their_status(titanic_server):
    probe = uuid.uuid4().hex
    assert titanic_server.get("/describe", params={"probe": probe}).status_code == 200
    assert titanic_server.get("/nowhere/" + probe).status_code == 404
    assert titanic_server.post("/eval", "{", params={"probe": probe}).status_code == 400
    describe = wait_for_log_line(titanic_server, probe, "/describe")
    assert len(describe) == 1 and "GET" in describe[0] and "200" in describe[0], describe
    missing = wait_for_log_line(titanic_server, "/nowhere/" + probe)
    assert len(missing) == 1 and "GET" in missing[0] and "404" in missing[0], missing
    bad = wait_for_log_line(titanic_server, probe, "/eval")
    assert len(bad) == 1 and "POST" in bad[0] and "400" in bad[0], bad


def test_startup_banner(titanic_server):
    assert f"Serving on http://127.0.0.1:{titanic_server.port}" in titanic_server.log()


# ---- OpenAPI -------------------------------------------------------------------------------------


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def properties_of(doc, schema, seen=None):
    """Every property name reachable through properties/oneOf/anyOf/allOf of `schema`."""
    schema = resolve(doc, schema)
    names = set()
    if not isinstance(schema, dict):
        return names
    names |= set(schema.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for alternative in schema.get(key, []):
            names |= properties_of(doc, alternative)
    return names


@pytest.fixture(scope="module")
def openapi(titanic_server):
    r = titanic_server.get("/openapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def test_openapi_version(openapi):
    assert str(openapi.get("openapi", "")).startswith("3."), openapi.get("openapi")
    assert "info" in openapi and "title" in openapi["info"] and "version" in openapi["info"]


def test_openapi_describes_eval(openapi):
    assert "/eval" in openapi["paths"], list(openapi["paths"])
    post = openapi["paths"]["/eval"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    props = properties_of(openapi, schema)
    for name in ("fare", "sex", "embarked", "pclass", "age"):
        assert name in props, (name, props)


def test_openapi_describes_the_answer(openapi):
    post = openapi["paths"]["/eval"]["post"]
    ok = resolve(openapi, post["responses"]["200"])
    schema = ok["content"]["application/json"]["schema"]
    props = properties_of(openapi, schema)
    assert {"output_label", "output_probability"} <= props, props


def test_openapi_lists_the_other_routes(openapi):
    for path in ("/describe", "/health/live", "/health/ready", "/metrics"):
        assert path in openapi["paths"], list(openapi["paths"])

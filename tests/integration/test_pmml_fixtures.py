"""PMML models made by scikit-learn + sklearn2pmml (fixtures/pmml, tools/generate_pmml_fixtures.py),
scored by `mlserving predict --csv` (every row as one batch) and `mlserving predict --json` (each row
alone, in the single-instance form), against jpmml-evaluator's results (expected.csv).

Probabilities and other numbers must agree to 1e-9 relative (jpmml-evaluator and pypmml agree to
1.3e-11 on these models); labels and other strings exactly; a missing value only with a missing one.
The output columns must be exactly expected.csv's (the model's final OutputFields, or its target).
Also `mlserving bench --csv`, the timer of bench/compare_pmml.py, on these fixtures.
"""

import csv
import io
import json
import math

import pytest

from conftest import FIXTURES, run_cli

PMML_FIXTURES = FIXTURES / "pmml"
NAMES = sorted(p.parent.name for p in PMML_FIXTURES.glob("*/model.pmml"))
#: Known differences, by fixture. strict: the test fails once the bug is fixed, so the mark goes too.
KNOWN_BUGS = {}
CASES = [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_BUGS[n], strict=True)) if n in KNOWN_BUGS else n
         for n in NAMES]
RTOL = 1e-9
#: Below this, two numbers are both "zero" (a probability of 0 vs 1e-17).
ZERO = 1e-15
MISSING = {"", "NA", "N/A"}


def read_csv(text):
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, [row for row in reader if row]


def load(name):
    folder = PMML_FIXTURES / name
    return (folder / "model.pmml", read_csv((folder / "input.csv").read_text()),
            read_csv((folder / "expected.csv").read_text()))


def as_number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def same(got, want):
    """True when `got` (our value: text, number, bool or None) equals jpmml's `want` (CSV text)."""
    if want in MISSING:
        return got is None or got in MISSING
    if got is None or got in MISSING:
        return False
    if isinstance(got, bool):
        return str(got).lower() == want.lower()
    w, g = as_number(want), as_number(got)
    if w is not None and g is not None and not (isinstance(got, str) and as_number(got) is None):
        if abs(w) <= ZERO and abs(g) <= ZERO:
            return True
        return math.isclose(g, w, rel_tol=RTOL, abs_tol=0.0)
    return str(got) == want


def test_every_fixture_is_found():
    assert NAMES == sorted(["gbm_penguins", "logreg_iris", "pipeline_titanic", "rf_iris", "svm_iris"]), NAMES


@pytest.mark.parametrize("name", CASES)
def test_predict_csv_matches_jpmml(name, tmp_path):
    model, _, (want_header, want_rows) = load(name)
    out = tmp_path / "out.csv"
    p = run_cli("predict", model, "--csv", PMML_FIXTURES / name / "input.csv", "--output", out)
    assert p.returncode == 0, p.stderr
    header, rows = read_csv(out.read_text())
    assert header == want_header, f"output columns {header}, jpmml-evaluator's {want_header}"
    assert len(rows) == len(want_rows)
    mismatches = [f"row {r + 1} {column}: got {got!r}, expected {want!r}"
                  for r, (row, want_row) in enumerate(zip(rows, want_rows))
                  for column, got, want in zip(header, row, want_row) if not same(got, want)]
    assert not mismatches, f"{len(mismatches)} values differ:\n" + "\n".join(mismatches[:20])


def typed(text):
    """A CSV cell as the JSON value a client sends: number, string or null (missing)."""
    if text in MISSING:
        return None
    number = as_number(text)
    return text if number is None else (int(number) if number.is_integer() and "." not in text else number)


@pytest.mark.parametrize("name", CASES)
def test_single_instance_json_matches_jpmml(name):
    model, (in_header, in_rows), (want_header, want_rows) = load(name)
    mismatches = []
    for r, (row, want_row) in enumerate(zip(in_rows, want_rows)):
        request = {column: typed(cell) for column, cell in zip(in_header, row)}
        p = run_cli("predict", model, "--json", "-", stdin=json.dumps(request))
        assert p.returncode == 0, (request, p.stdout, p.stderr)
        answer = json.loads(p.stdout)
        assert sorted(answer) == sorted(want_header), (request, answer)
        mismatches += [f"row {r + 1} {column}: got {answer[column]!r}, expected {want!r}"
                       for column, want in zip(want_header, want_row) if not same(answer[column], want)]
    assert not mismatches, f"{len(mismatches)} values differ:\n" + "\n".join(mismatches[:20])


def test_bench_times_the_rows_of_a_csv():
    """`mlserving bench --csv` (bench/compare_pmml.py's timer) scores the CSV's rows as one batch."""
    folder = PMML_FIXTURES / "pipeline_titanic"
    p = run_cli("bench", folder / "model.pmml", "--csv", folder / "input.csv", "--iterations", "5", "--warmup", "1")
    assert p.returncode == 0, p.stderr
    stats = json.loads(p.stdout)
    assert stats["iterations"] == 5 and 0 < stats["min_ms"] <= stats["median_ms"], stats


@pytest.mark.parametrize("csv_text,fragment", [
    ("age,fare\n30,oops\n", "fare"),  # not a number in a numeric column
    ("age,fare\n30\n", "line"),  # a short row
])
def test_bench_rejects_a_bad_csv(tmp_path, csv_text, fragment):
    rows = tmp_path / "rows.csv"
    rows.write_text(csv_text)
    p = run_cli("bench", PMML_FIXTURES / "pipeline_titanic" / "model.pmml", "--csv", rows, "--iterations", "1")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stderr.startswith("error:") and fragment in p.stderr, p.stderr

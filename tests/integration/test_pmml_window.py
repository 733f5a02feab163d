"""PMML Aggregate and Lag: expressions over the rows of one request (/eval batch form and
`mlserving predict --csv`). Expected values are computed by hand in the comments."""

import csv
import io

import pytest

from conftest import assert_error, run_cli

PMML = """<?xml version="1.0"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/>
<DataDictionary>
  <DataField name="customer" optype="categorical" dataType="string"/>
  <DataField name="amount" optype="continuous" dataType="double"/>
</DataDictionary>
<TransformationDictionary>
  <DerivedField name="total" optype="continuous" dataType="double">
    <Aggregate field="amount" function="sum" groupField="customer"/>
  </DerivedField>
  <DerivedField name="previous" optype="continuous" dataType="double">
    <Lag field="amount"><BlockIndicator field="customer"/></Lag>
  </DerivedField>
  <DerivedField name="mean2" optype="continuous" dataType="double">
    <Lag field="amount" n="2" aggregate="avg"><BlockIndicator field="customer"/></Lag>
  </DerivedField>
</TransformationDictionary>
<RegressionModel functionName="regression">
  <MiningSchema><MiningField name="customer"/><MiningField name="amount"/></MiningSchema>
  <Output>
    <OutputField name="share" feature="transformedValue" dataType="double">
      <Apply function="/"><FieldRef field="amount"/><FieldRef field="total"/></Apply>
    </OutputField>
    <OutputField name="previous_amount" feature="transformedValue" dataType="double"><FieldRef field="previous"/></OutputField>
    <OutputField name="mean_of_2_previous" feature="transformedValue" dataType="double"><FieldRef field="mean2"/></OutputField>
  </Output>
  <RegressionTable intercept="0"/>
</RegressionModel>
</PMML>
"""

# Rows a 10, b 30, a 30, a 60: customer a = rows 0, 2, 3 (10, 30, 60; total 100), b = row 1 (30).
CUSTOMERS = ["a", "b", "a", "a"]
AMOUNTS = [10, 30, 30, 60]
# share = amount / total of the customer's rows in this request.
SHARE = [0.1, 1.0, 0.3, 0.6]
# previous amount of the same customer (None: the first row of the customer).
PREVIOUS = [None, None, 10, 30]
# mean of the up to 2 previous amounts of the customer: -, -, 10, (10 + 30) / 2.
MEAN2 = [None, None, 10, 20]


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "window.pmml"
    path.write_text(PMML)
    return path


def check(got, want, name):
    assert len(got) == len(want), f"{name}: {got!r}"
    for i, (g, w) in enumerate(zip(got, want)):
        if w is None:
            assert g is None or g != g, f"{name}[{i}] = {g!r}, expected missing"
        else:
            assert g == pytest.approx(w, rel=1e-12), f"{name}[{i}] = {g!r}, expected {w}"


def test_eval_batch_aggregates_and_lags_over_the_requests_rows(server, model_file):
    s = server(model_file)
    r = s.eval({"customer": CUSTOMERS, "amount": AMOUNTS})
    assert r.status_code == 200, r.text
    out = r.json()
    check(out["share"], SHARE, "share")
    check(out["previous_amount"], PREVIOUS, "previous_amount")
    check(out["mean_of_2_previous"], MEAN2, "mean_of_2_previous")
    # A single-instance request is its own group: share 1, no previous row.
    one = s.eval({"customer": "z", "amount": 5})
    assert one.status_code == 200, one.text
    assert one.json()["share"] == pytest.approx(1.0)
    assert one.json()["previous_amount"] is None


def test_predict_csv_aggregates_over_the_files_rows(model_file, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("customer,amount\n" + "".join(f"{c},{a}\n" for c, a in zip(CUSTOMERS, AMOUNTS)))
    p = run_cli("predict", model_file, "--csv", rows)
    assert p.returncode == 0, p.stderr
    table = list(csv.DictReader(io.StringIO(p.stdout)))
    check([float(r["share"]) for r in table], SHARE, "share")
    check([float(r["previous_amount"]) if r["previous_amount"] not in ("", "NA") else None for r in table], PREVIOUS,
          "previous_amount")


def test_invalid_aggregate_is_a_load_error_naming_the_element(tmp_path):
    path = tmp_path / "bad.pmml"
    path.write_text(PMML.replace('function="sum"', 'function="mode"'))
    p = run_cli("describe", path)
    assert p.returncode != 0
    assert "<Aggregate field='amount' function='mode'>" in p.stderr + p.stdout

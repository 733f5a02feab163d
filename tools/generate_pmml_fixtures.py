#!/usr/bin/env python3
"""Generate the PMML test fixtures under fixtures/pmml/ with scikit-learn + sklearn2pmml.

For every model, fixtures/pmml/<name>/ holds:

  model.pmml    the scikit-learn PMMLPipeline converted by sklearn2pmml (JPMML-SkLearn, on Java);
                the <Timestamp> of the Header is dropped so that reruns are byte-identical.
  input.csv     rows to score: a seeded sample of the dataset plus rows with missing values
                where the model defines what a missing value does (NA = missing).
  expected.csv  jpmml-evaluator's results for input.csv, restricted to what a PMML consumer gets
                back: the final OutputFields of the top-level model (its targets when it has no
                Output). Numbers as Python writes doubles (shortest round-trip text), NA = missing.
  sklearn.csv   scikit-learn's own predict / predict_proba on the same rows (reference only;
                PMML trees compare float32 values, so tiny differences to sklearn are expected).

Models (training data read in place from /work/shared/datasets, never copied):

  rf_iris            RandomForestClassifier(10 trees, max_depth 5) on iris.
  gbm_penguins       GradientBoostingClassifier(20 stages, depth 3) on the penguins' measurements
                     (3 classes: a modelChain of regression trees and a softmax RegressionModel).
  logreg_iris        LogisticRegression (multinomial) on iris.
  svm_iris           SVC(kernel="rbf") on iris: a SupportVectorMachineModel, label only.
  pipeline_titanic   ColumnTransformer: SimpleImputer(median) + StandardScaler on age/fare,
                     SimpleImputer(most_frequent) + OneHotEncoder on sex/embarked, OneHotEncoder
                     on the integer pclass; then
                     LogisticRegression (binary).

Classifiers with probabilities (but gbm_penguins, see build_gbm) get a predict_transformer (an identity LookupTransformer aliased
`predicted_<target>`), so that the label is an OutputField next to the probabilities (sklearn2pmml
emits only probability(...) OutputFields otherwise, and a PMML consumer returns only the Output).

jpmml-evaluator's results are also compared with pypmml's (the other PyPI evaluator); the script
fails when the two disagree, and prints the largest difference.

Run from the repository root, after tools/setup_tools.sh (a JRE and tools/.venv-pmml):

    tools/.venv-pmml/bin/python tools/generate_pmml_fixtures.py             # writes fixtures/pmml/
    tools/.venv-pmml/bin/python tools/generate_pmml_fixtures.py --out DIR    # elsewhere, e.g. to diff
"""

from __future__ import annotations

import argparse
import io
import math
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import sklearn
import sklearn2pmml
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn2pmml import sklearn2pmml as convert_to_pmml
from sklearn2pmml.decoration import Alias
from sklearn2pmml.pipeline import PMMLPipeline
from sklearn2pmml.preprocessing import LookupTransformer

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASETS = Path("/work/shared/datasets")
DEFAULT_OUT = REPO_ROOT / "fixtures" / "pmml"
SEED = 0
SAMPLE_ROWS = 20
#: jpmml-evaluator and pypmml must agree to this relative difference (both compute in double).
PEER_RTOL = 1e-9

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
TITANIC_FEATURES = ["pclass", "sex", "age", "fare", "embarked"]


@dataclass
class Fixture:
    name: str
    description: str
    pipeline: PMMLPipeline
    train_x: pd.DataFrame
    train_y: pd.Series
    input_x: pd.DataFrame
    has_proba: bool


def label_output(classes) -> LookupTransformer:
    """An OutputField `predicted_<target>` holding the predicted label (identity MapValues)."""
    return LookupTransformer({c: c for c in classes}, None)


def with_label_output(steps: list, target: str, classes) -> PMMLPipeline:
    return PMMLPipeline(steps, predict_transformer=Alias(label_output(classes), f"predicted_{target}", prefit=True))


def sample(frame: pd.DataFrame, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    return frame.sample(n=n, random_state=SEED).reset_index(drop=True)


def iris(datasets: Path) -> tuple[pd.DataFrame, pd.Series]:
    df = pd.read_csv(datasets / "iris.csv")
    return df[IRIS_FEATURES].astype(float), df["species"].astype(object)


def build_rf(datasets: Path) -> Fixture:
    x, y = iris(datasets)
    classes = sorted(y.unique())
    pipeline = with_label_output([("classifier", RandomForestClassifier(n_estimators=10, max_depth=5,
                                                                         random_state=SEED))], "species", classes)
    return Fixture("rf_iris", "RandomForestClassifier(n_estimators=10, max_depth=5) on iris.csv", pipeline, x, y,
                   sample(x), True)


def build_logreg(datasets: Path) -> Fixture:
    x, y = iris(datasets)
    classes = sorted(y.unique())
    pipeline = with_label_output([("classifier", LogisticRegression(max_iter=1000))], "species", classes)
    return Fixture("logreg_iris", "LogisticRegression(max_iter=1000), multinomial, on iris.csv", pipeline, x, y,
                   sample(x), True)


def build_svm(datasets: Path) -> Fixture:
    x, y = iris(datasets)
    pipeline = PMMLPipeline([("classifier", SVC(kernel="rbf", C=1.0, gamma="scale"))])
    return Fixture("svm_iris", 'SVC(kernel="rbf", C=1.0, gamma="scale") on iris.csv (one-vs-one, label only)',
                   pipeline, x, y, sample(x), False)


def build_gbm(datasets: Path) -> Fixture:
    df = pd.read_csv(datasets / "penguins.csv")
    complete = df.dropna(subset=PENGUIN_FEATURES)
    x, y = complete[PENGUIN_FEATURES].astype(float), complete["species"].astype(object)
    # No label OutputField: sklearn2pmml 0.133.1 fails to attach a predict_transformer to a multi-class
    # GradientBoostingClassifier ("Name(s) [predict(species)] do not match any fields").
    pipeline = PMMLPipeline([("classifier", GradientBoostingClassifier(n_estimators=20, max_depth=3,
                                                                       random_state=SEED))])
    return Fixture("gbm_penguins",
                   "GradientBoostingClassifier(n_estimators=20, max_depth=3) on the four measurements of "
                   "penguins.csv (rows with a missing measurement dropped for training)", pipeline, x, y,
                   sample(x), True)


def build_pipeline(datasets: Path) -> Fixture:
    df = pd.read_csv(datasets / "titanic.csv")
    x = pd.DataFrame({
        "pclass": df["pclass"].astype(int),
        "sex": df["sex"].astype(object),
        "age": df["age"].astype(float),
        "fare": df["fare"].astype(float),
        "embarked": df["embarked"].astype(object).where(df["embarked"].notna(), None),
    })
    y = df["survived"].astype(int)
    mapper = ColumnTransformer([
        ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
         ["age", "fare"]),
        ("categorical", Pipeline([("impute", SimpleImputer(strategy="most_frequent", missing_values=None)),
                                  ("onehot", OneHotEncoder(handle_unknown="ignore"))]),
         ["sex", "embarked"]),
        # An integer column (sklearn2pmml wants one data type per transformer).
        ("ordinal", OneHotEncoder(handle_unknown="ignore"), ["pclass"]),
    ])
    pipeline = with_label_output([("mapper", mapper), ("classifier", LogisticRegression(max_iter=1000))],
                                 "survived", [0, 1])
    rows = sample(x)
    # Rows whose missing values the imputers replace: age (median), embarked (most frequent), both.
    missing = pd.concat([
        x[x["age"].isna()].head(2),
        x[x["embarked"].isna()].head(2),
        pd.DataFrame([{"pclass": 3, "sex": "male", "age": None, "fare": 8.05, "embarked": None},
                      # An unseen category: OneHotEncoder(handle_unknown="ignore") -> all zeros; in PMML
                      # invalidValueTreatment="asIs", so no CategoricalPredictor matches.
                      {"pclass": 2, "sex": "female", "age": 30.0, "fare": 21.0, "embarked": "X"}]),
    ]).reset_index(drop=True)
    rows = pd.concat([rows, missing]).reset_index(drop=True)
    rows["embarked"] = rows["embarked"].astype(object).where(rows["embarked"].notna(), None)
    return Fixture("pipeline_titanic",
                   "ColumnTransformer [SimpleImputer(median) + StandardScaler on age, fare; "
                   "SimpleImputer(most_frequent) + OneHotEncoder(handle_unknown=\"ignore\") on sex, embarked; "
                   "OneHotEncoder on the integer pclass] + LogisticRegression on titanic.csv", pipeline, x, y, rows, True)


BUILDERS: list[Callable[[Path], Fixture]] = [build_rf, build_gbm, build_logreg, build_svm, build_pipeline]


# --------------------------------------------------------------------------------------------
# Conversion and reference scoring.
# --------------------------------------------------------------------------------------------


def convert(pipeline: PMMLPipeline) -> bytes:
    with tempfile.TemporaryDirectory(prefix="pmml-fixture-") as tmp:
        path = Path(tmp) / "model.pmml"
        convert_to_pmml(pipeline, str(path))
        text = path.read_text(encoding="utf-8")
    # The only non-deterministic part of the document.
    text = re.sub(r"\n\s*<Timestamp>[^<]*</Timestamp>", "", text)
    return text.encode("utf-8")


def non_final_outputs(pmml: bytes) -> set[str]:
    """Names of the OutputFields marked isFinalResult="false" (intermediate values)."""
    root = ET.fromstring(pmml)
    return {e.get("name") for e in root.iter() if e.tag.endswith("OutputField") and e.get("isFinalResult") == "false"}


def score_jpmml(path: Path, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """jpmml-evaluator's results (every field), the fields a PMML consumer gets back (the model's
    final OutputFields, of the last segment for a modelChain, or its targets when it has none),
    and the target fields."""
    from jpmml_evaluator import make_evaluator

    evaluator = make_evaluator(str(path)).verify()
    results = evaluator.evaluateAll(rows)
    if "errors" in results and results["errors"].notna().any():
        raise RuntimeError(f"jpmml-evaluator failed on {path}: {results['errors'].dropna().tolist()}")
    intermediate = non_final_outputs(path.read_bytes())
    names = [f.getName() for f in evaluator.getOutputFields() if f.getName() not in intermediate]
    targets = [f.getName() for f in evaluator.getTargetFields()]
    return results.drop(columns=["errors"], errors="ignore"), names or targets, targets


def score_pypmml(path: Path, rows: pd.DataFrame) -> pd.DataFrame:
    from pypmml import Model

    model = Model.load(str(path))
    return model.predict(rows.astype(object).where(rows.notna(), None))


def values_agree(a, b) -> tuple[bool, float]:
    """(same value, relative difference for numbers)."""
    a_missing = a is None or (isinstance(a, float) and math.isnan(a))
    b_missing = b is None or (isinstance(b, float) and math.isnan(b))
    if a_missing or b_missing:
        return a_missing and b_missing, 0.0
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return str(a) == str(b), 0.0
    if isinstance(a, str) and isinstance(b, str):
        return a == b, 0.0
    diff = abs(x - y) / max(abs(x), abs(y), 1e-300) if x != y else 0.0
    return diff <= PEER_RTOL or abs(x - y) <= 1e-15, diff


def compare_peers(name: str, jpmml: pd.DataFrame, pypmml: pd.DataFrame, columns: list[str]) -> float:
    worst = 0.0
    for column in columns:
        # pypmml names a target without OutputFields predicted_<target>.
        theirs = column if column in pypmml else f"predicted_{column}"
        if theirs not in pypmml:
            raise RuntimeError(f"{name}: pypmml has no column {column!r} (it has {list(pypmml.columns)})")
        for row, (a, b) in enumerate(zip(jpmml[column].tolist(), pypmml[theirs].tolist())):
            same, diff = values_agree(a, b)
            if not same:
                raise RuntimeError(f"{name}: row {row + 1} {column}: jpmml-evaluator {a!r}, pypmml {b!r}")
            worst = max(worst, diff)
    return worst


def to_csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, na_rep="NA", lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def sklearn_reference(fixture: Fixture) -> pd.DataFrame:
    reference = pd.DataFrame({"predicted": fixture.pipeline.predict(fixture.input_x)})
    if fixture.has_proba:
        proba = fixture.pipeline.predict_proba(fixture.input_x)
        for i, c in enumerate(fixture.pipeline.classes_):
            reference[f"probability({c})"] = proba[:, i]
    return reference


def build(fixture: Fixture, out: Path) -> dict:
    print(f"{fixture.name}: training and converting", file=sys.stderr)
    fixture.pipeline.fit(fixture.train_x, fixture.train_y)
    accuracy = float((fixture.pipeline.predict(fixture.train_x) == fixture.train_y).mean())
    pmml = convert(fixture.pipeline)
    model_dir = out / fixture.name
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "model.pmml").write_bytes(pmml)
    (model_dir / "input.csv").write_bytes(to_csv(fixture.input_x))
    # Score what input.csv holds, as a reader of the CSV sees it (ints stay ints, NA is missing).
    rows = pd.read_csv(model_dir / "input.csv", keep_default_na=True)
    rows = rows.astype(object).where(rows.notna(), None)
    jpmml, columns, targets = score_jpmml(model_dir / "model.pmml", rows)
    missing = [c for c in columns if c not in jpmml]
    if missing:
        raise RuntimeError(f"{fixture.name}: jpmml-evaluator returned no {missing}")
    worst = compare_peers(fixture.name, jpmml, score_pypmml(model_dir / "model.pmml", rows), columns)
    (model_dir / "expected.csv").write_bytes(to_csv(jpmml[columns]))
    reference = sklearn_reference(fixture)
    (model_dir / "sklearn.csv").write_bytes(to_csv(reference))
    labels_agree = int((jpmml[targets[0]].astype(str).values == reference["predicted"].astype(str).values).sum())
    return {"name": fixture.name, "description": fixture.description, "accuracy": accuracy,
            "columns": columns, "rows": len(rows), "bytes": len(pmml), "peer_diff": worst,
            "sklearn_labels_agree": labels_agree,
            "model_element": re.search(rb"<(\w+Model|MiningModel)\b[^>]*functionName", pmml).group(1).decode()}


def write_readme(out: Path, results: list[dict]) -> None:
    import jpmml_evaluator
    import pypmml

    lines = [
        "# PMML fixtures",
        "",
        "Generated by `tools/generate_pmml_fixtures.py`; do not edit by hand. Regenerate with",
        "",
        "    tools/setup_tools.sh && tools/.venv-pmml/bin/python tools/generate_pmml_fixtures.py",
        "",
        f"Generated with python {sys.version.split()[0]}, scikit-learn {sklearn.__version__}, sklearn2pmml "
        f"{sklearn2pmml.__version__}, jpmml_evaluator {jpmml_evaluator.__version__}, pypmml "
        f"{getattr(pypmml, '__version__', '?')}, pandas {pd.__version__}, numpy {np.__version__} "
        "(`tools/requirements-pmml.txt`). Datasets read in place from the shared dataset folder.",
        "",
        "Each folder: `model.pmml` (sklearn2pmml's conversion, Header Timestamp dropped), `input.csv` (rows to",
        "score; `NA` = missing), `expected.csv` (jpmml-evaluator's final results for those rows: the top-level",
        "model's final OutputFields, or its targets when it has none), `sklearn.csv` (scikit-learn's own",
        "predictions, for reference). pypmml gave the same results as jpmml-evaluator (largest relative",
        "difference below). `tests/integration/test_pmml_fixtures.py` scores every folder with",
        "`mlserving predict model.pmml --csv input.csv` and compares with `expected.csv`.",
        "",
        "| fixture | model | top element | rows | outputs | train acc. | jpmml vs pypmml | sklearn labels equal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| `{r['name']}` | {r['description']} | {r['model_element']} | {r['rows']} | "
                     f"{', '.join(r['columns'])} | {r['accuracy']:.3f} | {r['peer_diff']:.1e} | "
                     f"{r['sklearn_labels_agree']}/{r['rows']} |")
    lines += ["", "`pipeline_titanic/input.csv` ends with rows whose `age` and/or `embarked` are missing (the "
              "imputers become MiningField missingValueReplacement) and one row with an unseen `embarked` "
              "(\"X\": invalidValueTreatment=\"asIs\", so no one-hot column matches, as in scikit-learn).", ""]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--only", default="", help="comma-separated fixture names")
    args = parser.parse_args()
    np.random.seed(SEED)
    results = []
    for builder in BUILDERS:
        fixture = builder(args.datasets)
        if args.only and fixture.name not in args.only.split(","):
            continue
        result = build(fixture, args.out)
        results.append(result)
        print(f"{result['name']}: {result['rows']} rows, {result['bytes']} bytes, outputs {result['columns']}, "
              f"jpmml vs pypmml {result['peer_diff']:.1e}", file=sys.stderr)
    if not args.only:
        write_readme(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Generates the PMML benchmark models and their inputs into bench/models/pmml/ (gitignored).

    tools/.venv-pmml/bin/python bench/make_pmml_models.py            # writes bench/models/pmml/
    tools/.venv-pmml/bin/python bench/make_pmml_models.py --out DIR  # writes elsewhere

All three are trained on make_classification(5000 rows, 20 features x0..x19, 2 classes, seed 0)
and converted by sklearn2pmml (tools/requirements-pmml.txt; a JRE is needed):

  rf500     RandomForestClassifier(n_estimators=500, max_depth=8): a MiningModel of 500 TreeModels
            (multipleModelMethod="average").
  gbm100    GradientBoostingClassifier(n_estimators=100, max_depth=3): a modelChain of a sum of 100
            regression TreeModels and a logit RegressionModel.
  logreg    LogisticRegression: one RegressionModel (normalizationMethod="logit").

Inputs, per model: row1.csv (one row) and batch1000.csv (1,000 rows), held-out rows of the same
distribution. manifest.json lists every case (model file, batch, input CSV, targets).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn2pmml import sklearn2pmml as convert_to_pmml
from sklearn2pmml.pipeline import PMMLPipeline

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "bench" / "models" / "pmml"
SEED = 0
FEATURES = [f"x{i}" for i in range(20)]
BATCHES = (1, 1000)
#: Issue 4 item 6: ours / fastest peer, as a speed-up factor (higher is better).
TARGETS = {1: 20.0, 1000: 5.0}

MODELS = {
    "rf500": lambda: RandomForestClassifier(n_estimators=500, max_depth=8, random_state=SEED, n_jobs=1),
    "gbm100": lambda: GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=SEED),
    "logreg": lambda: LogisticRegression(max_iter=1000),
}


def data() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    x, y = make_classification(n_samples=6000, n_features=len(FEATURES), n_informative=12, n_redundant=4,
                               random_state=SEED)
    frame = pd.DataFrame(x, columns=FEATURES)
    target = pd.Series(y, name="y")
    return frame.iloc[:5000], target.iloc[:5000], frame.iloc[5000:].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    train_x, train_y, held_out = data()
    cases = []
    for name, make in MODELS.items():
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        pipeline = PMMLPipeline([("classifier", make())])
        pipeline.fit(train_x, train_y)
        with tempfile.TemporaryDirectory(prefix="pmml-bench-") as tmp:
            convert_to_pmml(pipeline, str(Path(tmp) / "model.pmml"))
            text = (Path(tmp) / "model.pmml").read_text(encoding="utf-8")
        (folder / "model.pmml").write_text(re.sub(r"\n\s*<Timestamp>[^<]*</Timestamp>", "", text),
                                           encoding="utf-8")
        for batch in BATCHES:
            held_out.head(batch).to_csv(folder / f"batch{batch}.csv", index=False, lineterminator="\n")
            cases.append({"model": name, "model_file": f"{name}/model.pmml", "batch": batch,
                          "input_csv": f"{name}/batch{batch}.csv", "target": TARGETS[batch]})
        size_mb = (folder / "model.pmml").stat().st_size / 1e6
        print(f"{name}: {size_mb:.1f} MB, training accuracy "
              f"{float((pipeline.predict(train_x) == train_y).mean()):.3f}")
    (args.out / "manifest.json").write_text(json.dumps({"cases": cases}, indent=1) + "\n")
    print(f"wrote {args.out / 'manifest.json'}")


if __name__ == "__main__":
    np.random.seed(SEED)
    main()

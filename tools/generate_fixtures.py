#!/usr/bin/env python3
"""Generate the golden test fixtures under fixtures/.

What it makes (all paths relative to the output directory, `fixtures/` by default):

  titanic/titanic.onnx   scikit-learn Pipeline (ColumnTransformer: median Imputer + StandardScaler
                         on fare/age, OneHotEncoder(handle_unknown="ignore") on sex/embarked/pclass;
                         then LogisticRegression) exported by skl2onnx with one input per feature.
  iris/iris.onnx         RandomForestClassifier (10 trees, depth 4) with string class labels,
                         exported by skl2onnx as a TreeEnsembleClassifier over `float_input`.
  svm/svm.onnx           SVC(kernel="rbf", probability=True) with string class labels on iris,
                         exported by skl2onnx as an SVMClassifier (prob_a/prob_b) over `float_input`.
  mlp/mlp.onnx           torch MLP 4 -> 16 Relu -> 8 Tanh -> 3 Softmax exported by the TorchScript
                         (legacy) exporter, input `x` [batch, 4], output `probabilities`.
  regressors/*.onnx      scikit-learn regressors on penguins (LinearRegression, SVR, random forest,
                         gradient boosting rewritten to ai.onnx.ml 3 tree tensors, a
                         ColumnTransformer with Binarizer, a two-input pipeline joined by a
                         FeatureVectorizer), each with <name>.cases.json.
  labelmaps/*.onnx       LabelEncoder (ai.onnx.ml 1, 2, 4) and CategoryMapper models built with
                         onnx.helper over the penguin categories, each with <name>.cases.json.
  <model>/cases.json     HTTP /eval request bodies and the outputs onnxruntime computes for them.
  <model>/inputs/*.npy   the inputs of one batch case, one file per model input.
  <model>/expected/*.npy the outputs of that same case, one file per model output.
  broken/*.onnx          files every loader must reject cleanly: a truncated model, a valid model
                         made of ops we do not support, and a text file.
  README.md              what each file is and the package versions that produced it.

The outputs are deterministic: fixed seeds, no timestamps, so running the script twice gives
byte-identical files (tested with the versions pinned in tools/requirements.txt).

Run from the repository root:

    tools/.venv/bin/python tools/generate_fixtures.py            # writes fixtures/
    tools/.venv/bin/python tools/generate_fixtures.py --out DIR  # writes elsewhere, e.g. to diff

The datasets are read in place from /work/shared/datasets (override with --datasets DIR); they are
never copied into the repository.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import skl2onnx
import sklearn
import torch
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Binarizer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASETS = Path("/work/shared/datasets")
SEED = 0
# ai.onnx.ml 3 keeps TreeEnsembleClassifier / LinearClassifier in their long-standing form
# (ai.onnx.ml 5 would switch trees to the newer TreeEnsemble op).
SKL_TARGET_OPSET = {"": 15, "ai.onnx.ml": 3}
MLP_OPSET = 17
MAX_FILE_BYTES = 200 * 1024

TITANIC_NUMERIC = ["fare", "age"]
TITANIC_CATEGORICAL = ["sex", "embarked", "pclass"]
# Graph input order, as the brief lists the features.
TITANIC_FEATURES = ["fare", "sex", "embarked", "pclass", "age"]
IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def seed_everything() -> None:
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)


# --------------------------------------------------------------------------------------------
# Helpers: running a model, converting outputs, describing a graph.
# --------------------------------------------------------------------------------------------


def make_session(model_bytes: bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    # One thread and no graph rewrites: the reference values should not depend on the host.
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])


def run_model(sess: ort.InferenceSession, feeds: dict, classes: list | None) -> dict:
    """Runs `sess` and returns {output_name: numpy array} in batch form.

    A ZipMap output (list of {class: prob}) becomes float32 [batch, classes] in `classes` order.
    """
    names = [o.name for o in sess.get_outputs()]
    values = sess.run(names, feeds)
    result = {}
    for name, value in zip(names, values):
        if isinstance(value, list):  # ZipMap: seq(map(key, float))
            assert classes is not None, f"{name}: ZipMap output but no class list"
            result[name] = np.array([[row[c] for c in classes] for row in value], dtype=np.float32)
        elif value.dtype == object:  # string tensor: keep it as a numpy unicode array
            result[name] = value.astype(str)
        else:
            result[name] = np.asarray(value)
    return result


def to_json_value(array: np.ndarray):
    """Nested Python lists; float32 values become the double of the same value (exact)."""
    if array.dtype.kind == "f":
        return array.astype(np.float64).tolist()
    if array.dtype.kind in "iu":
        return array.astype(np.int64).tolist()
    if array.dtype.kind in "UO":
        return array.astype(str).tolist()
    raise TypeError(f"unexpected dtype {array.dtype}")


def describe_type(type_proto: onnx.TypeProto) -> str:
    kind = type_proto.WhichOneof("value")
    if kind == "tensor_type":
        elem = TensorProto.DataType.Name(type_proto.tensor_type.elem_type).lower()
        if not type_proto.tensor_type.HasField("shape"):
            return f"tensor({elem}) shape=?"
        dims = []
        for d in type_proto.tensor_type.shape.dim:
            if d.HasField("dim_value"):
                dims.append(str(d.dim_value))
            elif d.HasField("dim_param"):
                dims.append(d.dim_param)
            else:
                dims.append("?")
        return f"tensor({elem}) [{', '.join(dims)}]"
    if kind == "sequence_type":
        return f"seq({describe_type(type_proto.sequence_type.elem_type)})"
    if kind == "map_type":
        key = TensorProto.DataType.Name(type_proto.map_type.key_type).lower()
        return f"map({key}, {describe_type(type_proto.map_type.value_type)})"
    return kind or "?"


def describe_model(model: onnx.ModelProto) -> dict:
    """Op types (with domain), inputs, outputs and opset imports, as the file declares them."""
    ops = []
    for node in model.graph.node:
        op = f"{node.domain}::{node.op_type}" if node.domain else node.op_type
        if op not in ops:
            ops.append(op)
    return {
        "ops": sorted(ops),
        "inputs": [(i.name, describe_type(i.type)) for i in model.graph.input],
        "outputs": [(o.name, describe_type(o.type)) for o in model.graph.output],
        "opsets": [(o.domain or "ai.onnx", o.version) for o in model.opset_import],
        "ir_version": model.ir_version,
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
    }


def canonical_opsets(model: onnx.ModelProto) -> onnx.ModelProto:
    """Sorts the opset imports by domain.

    skl2onnx collects the domains in a set, so their order follows Python's per-process string
    hashing; sorting keeps the serialised file byte-identical from run to run.
    """
    opsets = sorted(((o.domain, o.version) for o in model.opset_import))
    del model.opset_import[:]
    for domain, version in opsets:
        model.opset_import.append(helper.make_opsetid(domain, version))
    return model


def write_model(path: Path, model: onnx.ModelProto, written: list) -> bytes:
    """Checks `model` (full check: types and shapes), writes it to `path` and returns its bytes."""
    onnx.checker.check_model(model, full_check=True)
    model_bytes = model.SerializeToString()
    write_bytes(path, model_bytes, written)
    return model_bytes


def write_bytes(path: Path, data: bytes, written: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    written.append(path)


def write_json(path: Path, obj, written: list) -> None:
    # allow_nan=False: NaN is not JSON, so a fixture must never contain one.
    text = json.dumps(obj, indent=1, allow_nan=False) + "\n"
    write_bytes(path, text.encode("utf-8"), written)


def write_npy(path: Path, array: np.ndarray, written: list) -> None:
    assert array.dtype != object, f"{path}: object arrays need pickle; use a 'U' array"
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    write_bytes(path, buf.getvalue(), written)


def write_cases(model_dir: Path, cases: list, written: list, filename: str = "cases.json") -> None:
    """`filename` (cases.json) holds the request bodies and expected outputs of every case."""
    serialised = []
    for case in cases:
        serialised.append(
            {
                "name": case["name"],
                "request_form": case["request_form"],
                "request": case["request"],
                "expected": {k: to_json_value(v) for k, v in case["expected"].items()},
            }
        )
    write_json(model_dir / filename, serialised, written)


def write_npy_case(model_dir: Path, case: dict, written: list) -> None:
    """inputs/<input>.npy and expected/<output>.npy for one batch case."""
    for name, array in case["feeds"].items():
        write_npy(model_dir / "inputs" / f"{name}.npy", array, written)
    for name, array in case["expected"].items():
        write_npy(model_dir / "expected" / f"{name}.npy", array, written)


# --------------------------------------------------------------------------------------------
# titanic: multi-input preprocessing pipeline + LogisticRegression.
# --------------------------------------------------------------------------------------------


def titanic_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The five features in graph-input order, typed as the ONNX inputs expect them."""
    out = pd.DataFrame(
        {
            "fare": df["fare"].astype(np.float64),
            "sex": df["sex"].astype(str),
            # Missing categories become the category "missing" before training, so the graph
            # needs no string imputer; at inference a request carries a string anyway.
            "embarked": df["embarked"].fillna("missing").astype(str),
            "pclass": df["pclass"].astype(int).astype(str),
            "age": df["age"].astype(np.float64),
        }
    )
    return out[TITANIC_FEATURES]


def titanic_feeds_from_rows(rows: list[dict]) -> dict:
    """numpy feeds ([N, 1] per input) from a list of {feature: scalar} rows."""
    feeds = {}
    for name in TITANIC_FEATURES:
        column = [row[name] for row in rows]
        if name in TITANIC_NUMERIC:
            feeds[name] = np.array(column, dtype=np.float32).reshape(-1, 1)
        else:
            feeds[name] = np.array(column, dtype=str).reshape(-1, 1)
    return feeds


def titanic_requests(rows: list[dict]) -> dict:
    return {
        "batch": {name: [[row[name]] for row in rows] for name in TITANIC_FEATURES},
        "columns": {name: [row[name] for row in rows] for name in TITANIC_FEATURES},
    }


def build_titanic(datasets: Path, out: Path, written: list) -> dict:
    df = pd.read_csv(datasets / "titanic.csv")
    x = titanic_frame(df)
    y = df["survived"].astype(np.int64)

    pipeline = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        (
                            "num",
                            Pipeline(
                                [
                                    ("impute", SimpleImputer(strategy="median")),
                                    ("scale", StandardScaler()),
                                ]
                            ),
                            TITANIC_NUMERIC,
                        ),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), TITANIC_CATEGORICAL),
                    ]
                ),
            ),
            ("classifier", LogisticRegression(max_iter=1000)),
        ]
    )
    pipeline.fit(x, y)

    initial_types = [
        (name, FloatTensorType([None, 1]) if name in TITANIC_NUMERIC else StringTensorType([None, 1]))
        for name in TITANIC_FEATURES
    ]
    model = to_onnx(pipeline, initial_types=initial_types, target_opset=SKL_TARGET_OPSET)
    canonical_opsets(model)
    model_dir = out / "titanic"
    model_bytes = write_model(model_dir / "titanic.onnx", model, written)

    classes = [int(c) for c in pipeline.classes_]
    sess = make_session(model_bytes)

    def case(name: str, form: str, request: dict, rows: list[dict]) -> dict:
        feeds = titanic_feeds_from_rows(rows)
        expected = run_model(sess, feeds, classes)
        # The sklearn model is the ground truth the ONNX graph must agree with.
        frame = pd.DataFrame(rows)[TITANIC_FEATURES]
        skl_proba = pipeline.predict_proba(frame)
        assert np.allclose(expected["output_probability"], skl_proba, atol=1e-5), name
        assert (expected["output_label"] == pipeline.predict(frame)).all(), name
        return {"name": name, "request_form": form, "request": request, "feeds": feeds,
                "expected": expected}

    two = [
        {"fare": 7, "sex": "male", "embarked": "Q", "pclass": "3", "age": 27},
        {"fare": 9, "sex": "female", "embarked": "S", "pclass": "2", "age": 38},
    ]
    unseen = [
        {"fare": 30, "sex": "female", "embarked": "X", "pclass": "1", "age": 45},
        {"fare": 8.05, "sex": "male", "embarked": "S", "pclass": "4", "age": 19},
    ]
    # 20 complete rows: JSON has no NaN, so rows with a missing age/embarked are left out.
    complete = df.dropna(subset=["fare", "age", "embarked"])
    sample = titanic_frame(complete.sample(n=20, random_state=SEED))
    sample_rows = [
        {
            "fare": float(r.fare),
            "sex": r.sex,
            "embarked": r.embarked,
            "pclass": r.pclass,
            "age": float(r.age),
        }
        for r in sample.itertuples(index=False)
    ]

    cases = [
        case("batch_of_two", "batch", titanic_requests(two)["batch"], two),
        case("single_instance", "single", dict(two[0]), two[:1]),
        case("columns_of_two", "columns", titanic_requests(two)["columns"], two),
        case("unseen_categories", "batch", titanic_requests(unseen)["batch"], unseen),
        case("csv_sample_20", "batch", titanic_requests(sample_rows)["batch"], sample_rows),
    ]
    write_cases(model_dir, cases, written)
    write_npy_case(model_dir, cases[-1], written)
    return {"model": model, "classes": classes, "npy_case": cases[-1]["name"],
            "train_accuracy": float(pipeline.score(x, y))}


# --------------------------------------------------------------------------------------------
# iris: tree ensemble with string labels.
# --------------------------------------------------------------------------------------------


def build_iris(datasets: Path, out: Path, written: list) -> dict:
    df = pd.read_csv(datasets / "iris.csv")
    x = df[IRIS_FEATURES].to_numpy(dtype=np.float32)
    y = df["species"].astype(str).to_numpy()

    forest = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=SEED)
    forest.fit(x, y)
    model = to_onnx(
        forest,
        initial_types=[("float_input", FloatTensorType([None, 4]))],
        target_opset=SKL_TARGET_OPSET,
    )
    canonical_opsets(model)
    model_dir = out / "iris"
    model_bytes = write_model(model_dir / "iris.onnx", model, written)

    classes = [str(c) for c in forest.classes_]
    sess = make_session(model_bytes)

    def case(name: str, form: str, request: dict, batch: np.ndarray) -> dict:
        feeds = {"float_input": batch.astype(np.float32)}
        expected = run_model(sess, feeds, classes)
        assert np.allclose(expected["output_probability"], forest.predict_proba(feeds["float_input"]),
                           atol=1e-5), name
        return {"name": name, "request_form": form, "request": request, "feeds": feeds,
                "expected": expected}

    single = [6.5, 3, 5.5, 1.8]
    rng = np.random.default_rng(SEED)
    # Rows spread over the three species (the CSV is sorted by species).
    picked = np.sort(rng.choice(len(df), size=10, replace=False))
    rows = df.loc[picked, IRIS_FEATURES].to_numpy(dtype=np.float64)
    cases = [
        case("single_instance", "single", {"float_input": single},
             np.array([single], dtype=np.float32)),
        case("batch_of_one", "batch", {"float_input": [single]}, np.array([single], dtype=np.float32)),
        case("csv_sample_10", "batch", {"float_input": rows.tolist()}, rows),
    ]
    write_cases(model_dir, cases, written)
    write_npy_case(model_dir, cases[-1], written)
    return {"model": model, "classes": classes, "npy_case": cases[-1]["name"],
            "train_accuracy": float(forest.score(x, y))}


# --------------------------------------------------------------------------------------------
# svm: support vector classifier with Platt-scaled probabilities and string labels.
# --------------------------------------------------------------------------------------------


def build_svm(datasets: Path, out: Path, written: list) -> dict:
    df = pd.read_csv(datasets / "iris.csv")
    x = df[IRIS_FEATURES].to_numpy(dtype=np.float32)
    y = df["species"].astype(str).to_numpy()

    # probability=True fits prob_a/prob_b by an internal cross-validation; random_state fixes it.
    svc = SVC(kernel="rbf", probability=True, random_state=SEED)
    svc.fit(x, y)
    model = to_onnx(
        svc,
        initial_types=[("float_input", FloatTensorType([None, 4]))],
        target_opset=SKL_TARGET_OPSET,
    )
    canonical_opsets(model)
    model_dir = out / "svm"
    model_bytes = write_model(model_dir / "svm.onnx", model, written)

    classes = [str(c) for c in svc.classes_]
    sess = make_session(model_bytes)

    def case(name: str, form: str, request: dict, batch: np.ndarray) -> dict:
        feeds = {"float_input": batch.astype(np.float32)}
        expected = run_model(sess, feeds, classes)
        # libsvm couples the pairwise probabilities in double, onnxruntime in float with the same
        # stopping rule; the labels come from the one-vs-one votes in both.
        assert np.allclose(expected["output_probability"], svc.predict_proba(feeds["float_input"]),
                           atol=1e-3), name
        assert (expected["output_label"] == svc.predict(feeds["float_input"])).all(), name
        return {"name": name, "request_form": form, "request": request, "feeds": feeds,
                "expected": expected}

    single = [6.5, 3, 5.5, 1.8]
    rng = np.random.default_rng(SEED + 1)
    picked = np.sort(rng.choice(len(df), size=12, replace=False))
    rows = df.loc[picked, IRIS_FEATURES].to_numpy(dtype=np.float64)
    cases = [
        case("single_instance", "single", {"float_input": single},
             np.array([single], dtype=np.float32)),
        case("csv_sample_12", "batch", {"float_input": rows.tolist()}, rows),
    ]
    write_cases(model_dir, cases, written)
    write_npy_case(model_dir, cases[-1], written)
    return {"model": model, "classes": classes, "npy_case": cases[-1]["name"],
            "train_accuracy": float(svc.score(x, y))}


# --------------------------------------------------------------------------------------------
# dictvec: scikit-learn DictVectorizer + LogisticRegression on Penguins rows given as dicts
# (a measurement missing from the CSV is a key absent from the dict): an ONNX map input.
# --------------------------------------------------------------------------------------------

PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def penguin_records(df: pd.DataFrame) -> list[dict]:
    """One {feature: value} dict per row, without the features the row lacks."""
    return [{k: float(v) for k, v in row.items() if not pd.isna(v)} for row in df[PENGUIN_FEATURES].to_dict("records")]


def build_dictvec(datasets: Path, out: Path, written: list) -> dict:
    from sklearn.feature_extraction import DictVectorizer
    from skl2onnx.common.data_types import DictionaryType

    df = pd.read_csv(datasets / "penguins.csv")
    records = penguin_records(df)
    labels = df["species"].astype(str).to_numpy()
    pipeline = Pipeline([("vectorize", DictVectorizer(sparse=False)),
                         ("scale", StandardScaler()),
                         ("classify", LogisticRegression(max_iter=1000, random_state=SEED))])
    pipeline.fit(records, labels)
    model = to_onnx(
        pipeline,
        initial_types=[("measurements", DictionaryType(StringTensorType([]), FloatTensorType([])))],
        options={id(pipeline.steps[-1][1]): {"zipmap": False}},
        target_opset=SKL_TARGET_OPSET,
    )
    canonical_opsets(model)
    model_dir = out / "dictvec"
    model_bytes = write_model(model_dir / "dictvec.onnx", model, written)
    sess = make_session(model_bytes)

    def expected_for(batch: list[dict]) -> dict:
        # onnxruntime takes one map per call: run each and stack the rows.
        rows = [sess.run(None, {"measurements": {k: np.float32(v) for k, v in record.items()}})
                for record in batch]
        names = [o.name for o in sess.get_outputs()]
        result = {}
        for i, name in enumerate(names):
            stacked = np.concatenate([np.asarray(r[i]).reshape(1, -1) if np.asarray(r[i]).ndim > 1
                                      else np.asarray(r[i]).reshape(1) for r in rows])
            result[name] = to_json_value(stacked)
        assert result["label"] == list(pipeline.predict(batch)), "onnxruntime and scikit-learn disagree"
        return result

    rng = np.random.default_rng(SEED + 2)
    # Rows 3 and 271 of the CSV lack every measurement; onnxruntime refuses an empty map.
    non_empty = [i for i, record in enumerate(records) if record]
    picked = sorted(int(i) for i in rng.choice(non_empty, size=10, replace=False))
    batch = [records[i] for i in picked]
    single = {"bill_length_mm": 45.1, "bill_depth_mm": 14.5, "flipper_length_mm": 215.0, "body_mass_g": 5000.0}
    partial = {"bill_length_mm": 39.1, "flipper_length_mm": 181.0, "unknown_feature": 7.0}
    cases = [
        {"name": "single_map", "request_form": "map", "request": {"measurements": single},
         "expected": expected_for([single])},
        {"name": "map_as_body", "request_form": "map body", "request": single, "expected": expected_for([single])},
        {"name": "absent_and_unknown_keys", "request_form": "map", "request": {"measurements": partial},
         "expected": expected_for([{k: v for k, v in partial.items() if k in PENGUIN_FEATURES}])},
        {"name": "batch_of_maps", "request_form": "list of maps", "request": {"measurements": batch},
         "expected": expected_for(batch)},
    ]
    write_json(model_dir / "cases.json", cases, written)
    return {"model": model, "classes": [str(c) for c in pipeline.classes_],
            "vocabulary": list(pipeline.named_steps["vectorize"].feature_names_)}


# --------------------------------------------------------------------------------------------
# mlp: torch MLP through the TorchScript exporter.
# --------------------------------------------------------------------------------------------


class Mlp(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(4, 16),
            torch.nn.ReLU(),
            torch.nn.Linear(16, 8),
            torch.nn.Tanh(),
            torch.nn.Linear(8, 3),
            torch.nn.Softmax(dim=-1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def export_mlp() -> tuple[onnx.ModelProto, Mlp]:
    torch.manual_seed(SEED)
    net = Mlp().eval()
    buf = io.BytesIO()
    kwargs = dict(
        input_names=["x"],
        output_names=["probabilities"],
        dynamic_axes={"x": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=MLP_OPSET,
        do_constant_folding=True,
    )
    # The TorchScript exporter is deprecated in favour of the torch.export one, which needs
    # onnxscript and emits a different graph; we want the classic Gemm/Relu/Tanh/Softmax form.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            torch.onnx.export(net, (torch.zeros(1, 4),), buf, dynamo=False, **kwargs)
        except TypeError:  # torch < 2.5 has no `dynamo` argument; its default is TorchScript.
            torch.onnx.export(net, (torch.zeros(1, 4),), buf, **kwargs)
    model = onnx.load_from_string(buf.getvalue())
    return model, net


def build_mlp(out: Path, written: list) -> dict:
    model, net = export_mlp()
    # Self-contained: every initializer must carry its bytes inline.
    for init in model.graph.initializer:
        assert init.data_location != TensorProto.EXTERNAL and not init.external_data, init.name
    model_dir = out / "mlp"
    model_bytes = write_model(model_dir / "mlp.onnx", model, written)

    sess = make_session(model_bytes)

    def case(name: str, batch: np.ndarray) -> dict:
        feeds = {"x": batch.astype(np.float32)}
        expected = run_model(sess, feeds, None)
        with torch.no_grad():
            reference = net(torch.from_numpy(feeds["x"])).numpy()
        assert np.allclose(expected["probabilities"], reference, atol=1e-6), name
        return {"name": name, "request_form": "batch", "request": {"x": to_json_value(feeds["x"])},
                "feeds": feeds, "expected": expected}

    rng = np.random.default_rng(SEED)
    one = rng.standard_normal((1, 4)).astype(np.float32)
    five = rng.standard_normal((5, 4)).astype(np.float32)
    cases = [case("batch_of_one", one), case("batch_of_five", five)]
    write_cases(model_dir, cases, written)
    write_npy_case(model_dir, cases[-1], written)
    return {"model": model, "classes": None, "npy_case": cases[-1]["name"]}


# --------------------------------------------------------------------------------------------
# regressors: scikit-learn regressors and feature steps on Penguins (predict body_mass_g), for
# the ai.onnx.ml operators the classifiers above do not use. One .onnx and one
# <name>.cases.json per model in fixtures/regressors/.
# --------------------------------------------------------------------------------------------

REGRESSION_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
REGRESSION_TARGET = "body_mass_g"


def tree_ensemble_as_tensors(model: onnx.ModelProto) -> onnx.ModelProto:
    """Rewrites every TreeEnsembleRegressor to the ai.onnx.ml 3 form: thresholds, leaf weights and
    base values as tensors (`*_as_tensor`) instead of float lists, and imports ai.onnx.ml 3.

    skl2onnx only writes the ai.onnx.ml 1 form. The tensors stay float32: onnxruntime reads them
    in the input's type (a double tensor fails to load for a float input).
    """
    for node in model.graph.node:
        if node.op_type != "TreeEnsembleRegressor":
            continue
        kept = []
        for attribute in node.attribute:
            if attribute.name in ("nodes_values", "target_weights", "base_values"):
                values = np.array(attribute.floats, dtype=np.float32)
                kept.append(helper.make_attribute(
                    attribute.name + "_as_tensor",
                    helper.make_tensor(attribute.name + "_as_tensor", TensorProto.FLOAT, [len(values)], values)))
            else:
                kept.append(attribute)
        del node.attribute[:]
        node.attribute.extend(kept)
    for opset in model.opset_import:
        if opset.domain == "ai.onnx.ml":
            opset.version = 3
    return model


def build_regressors(datasets: Path, out: Path, written: list) -> dict:
    df = pd.read_csv(datasets / "penguins.csv").dropna(subset=REGRESSION_FEATURES + [REGRESSION_TARGET])
    x = df[REGRESSION_FEATURES].to_numpy(dtype=np.float32)
    y = df[REGRESSION_TARGET].to_numpy(dtype=np.float64)
    x_type = [("x", FloatTensorType([None, len(REGRESSION_FEATURES)]))]
    # bill length/depth and flipper length as two inputs: skl2onnx joins them with a FeatureVectorizer.
    split_types = [("bill", FloatTensorType([None, 2])), ("flipper", FloatTensorType([None, 1]))]

    def split(batch: np.ndarray) -> dict:
        return {"bill": batch[:, :2], "flipper": batch[:, 2:]}

    specs = {
        "linear": (LinearRegression(), x_type, None),
        "svr": (Pipeline([("scale", StandardScaler()), ("svr", SVR(kernel="rbf", C=1000.0))]), x_type, None),
        "forest": (RandomForestRegressor(n_estimators=5, max_depth=4, random_state=SEED), x_type, None),
        "boosting": (GradientBoostingRegressor(n_estimators=20, max_depth=3, random_state=SEED), x_type,
                     tree_ensemble_as_tensors),
        "columns": (Pipeline([("features", ColumnTransformer([
            ("long_bill", Binarizer(threshold=45.0), [0]),
            ("scale", StandardScaler(), [1, 2]),
        ])), ("linear", LinearRegression())]), x_type, None),
        "vectorizer": (Pipeline([("scale", StandardScaler()), ("linear", LinearRegression())]), split_types, None),
    }

    rng = np.random.default_rng(SEED + 3)
    picked = np.sort(rng.choice(len(df), size=8, replace=False))
    rows = x[picked].astype(np.float64)
    single = [45.1, 14.5, 215.0]
    model_dir = out / "regressors"
    results = {}
    for name, (estimator, initial_types, rewrite) in specs.items():
        estimator.fit(x, y)
        model = to_onnx(estimator, initial_types=initial_types, target_opset=SKL_TARGET_OPSET)
        canonical_opsets(model)
        if rewrite is not None:
            rewrite(model)
        model_bytes = write_model(model_dir / f"{name}.onnx", model, written)
        sess = make_session(model_bytes)
        two_inputs = len(initial_types) > 1

        def case(case_name: str, form: str, batch: np.ndarray) -> dict:
            batch = batch.astype(np.float32)
            feeds = split(batch) if two_inputs else {"x": batch}
            expected = run_model(sess, feeds, None)
            # float32 graphs against scikit-learn's float64: a few ulps of a ~4000 g mass.
            assert np.allclose(expected["variable"].reshape(-1), estimator.predict(batch), rtol=1e-4), \
                (name, case_name)
            if form == "single":
                request = {k: v[0].astype(np.float64).tolist() for k, v in feeds.items()}
            else:
                request = {k: v.astype(np.float64).tolist() for k, v in feeds.items()}
            return {"name": case_name, "request_form": form, "request": request, "feeds": feeds,
                    "expected": expected}

        cases = [
            case("single_instance", "single", np.array([single])),
            case("csv_sample_8", "batch", rows),
        ]
        write_cases(model_dir, cases, written, filename=f"{name}.cases.json")
        results[f"regressors/{name}"] = {"model": model, "estimator": estimator}
    return results


# --------------------------------------------------------------------------------------------
# labelmaps: LabelEncoder and CategoryMapper, which no scikit-learn exporter emits, built with
# onnx.helper over the Penguins categories; one model per ai.onnx.ml opset (1, 2 and 4).
# --------------------------------------------------------------------------------------------

PENGUIN_SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
PENGUIN_ISLANDS = ["Biscoe", "Dream", "Torgersen"]
PENGUIN_SEXES = ["FEMALE", "MALE"]


def label_map_model(name: str, ml_opset: int, inputs: list, outputs: list, nodes: list) -> onnx.ModelProto:
    """A one-level graph of ai.onnx.ml nodes; inputs/outputs are (name, elem_type), all [N]."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, t, ["N"]) for n, t in inputs],
        [helper.make_tensor_value_info(n, t, ["N"]) for n, t in outputs])
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", ml_opset)],
        producer_name="generate_fixtures.py")
    model.ir_version = 8
    return model  # checked by write_model


def label_map_models(mass_by_species: dict) -> dict:
    ml = "ai.onnx.ml"
    species_mass = [mass_by_species[s] for s in PENGUIN_SPECIES]
    return {
        # ai.onnx.ml 1: LabelEncoder with classes_strings (string -> index, index -> string) and
        # CategoryMapper both ways.
        "labels_ml1": label_map_model("labels_ml1", 1, [
            ("species", TensorProto.STRING), ("island_code", TensorProto.INT64), ("sex", TensorProto.STRING),
        ], [
            ("species_code", TensorProto.INT64), ("island", TensorProto.STRING),
            ("sex_code", TensorProto.INT64), ("island_name", TensorProto.STRING),
        ], [
            helper.make_node("LabelEncoder", ["species"], ["species_code"], domain=ml,
                             classes_strings=PENGUIN_SPECIES, default_int64=-1),
            helper.make_node("LabelEncoder", ["island_code"], ["island"], domain=ml,
                             classes_strings=PENGUIN_ISLANDS, default_string="unknown"),
            helper.make_node("CategoryMapper", ["sex"], ["sex_code"], domain=ml,
                             cats_strings=PENGUIN_SEXES, cats_int64s=[10, 20], default_int64=-1),
            helper.make_node("CategoryMapper", ["island_code"], ["island_name"], domain=ml,
                             cats_strings=PENGUIN_ISLANDS, cats_int64s=[0, 1, 2], default_string="nowhere"),
        ]),
        # ai.onnx.ml 2: keys_* / values_* lists: string -> float, int64 -> string, float -> int64.
        "labels_ml2": label_map_model("labels_ml2", 2, [
            ("species", TensorProto.STRING), ("island_code", TensorProto.INT64),
            ("flipper_length_mm", TensorProto.FLOAT),
        ], [
            ("species_mass", TensorProto.FLOAT), ("island", TensorProto.STRING),
            ("flipper_class", TensorProto.INT64),
        ], [
            helper.make_node("LabelEncoder", ["species"], ["species_mass"], domain=ml,
                             keys_strings=PENGUIN_SPECIES, values_floats=species_mass, default_float=-1.0),
            helper.make_node("LabelEncoder", ["island_code"], ["island"], domain=ml,
                             keys_int64s=[10, 20, 30], values_strings=PENGUIN_ISLANDS, default_string="unknown"),
            helper.make_node("LabelEncoder", ["flipper_length_mm"], ["flipper_class"], domain=ml,
                             keys_floats=[181.0, 190.0, 195.0, 210.0, 217.5], values_int64s=[1, 2, 3, 4, 5],
                             default_int64=0),
        ]),
        # ai.onnx.ml 4: keys_tensor / values_tensor / default_tensor: string -> int16,
        # int64 -> double, double -> string.
        "labels_ml4": label_map_model("labels_ml4", 4, [
            ("species", TensorProto.STRING), ("island_code", TensorProto.INT64),
            ("bill_length_mm", TensorProto.DOUBLE),
        ], [
            ("species_code", TensorProto.INT16), ("island_area", TensorProto.DOUBLE),
            ("bill_name", TensorProto.STRING),
        ], [
            helper.make_node(
                "LabelEncoder", ["species"], ["species_code"], domain=ml,
                keys_tensor=helper.make_tensor("keys", TensorProto.STRING, [3], [s.encode() for s in PENGUIN_SPECIES]),
                values_tensor=helper.make_tensor("values", TensorProto.INT16, [3], [100, 200, 300]),
                default_tensor=helper.make_tensor("default", TensorProto.INT16, [1], [-7])),
            helper.make_node(
                "LabelEncoder", ["island_code"], ["island_area"], domain=ml,
                keys_tensor=helper.make_tensor("keys", TensorProto.INT64, [3], [0, 1, 2]),
                values_tensor=helper.make_tensor("values", TensorProto.DOUBLE, [3], [0.25, 1.5, 2.125]),
                default_tensor=helper.make_tensor("default", TensorProto.DOUBLE, [1], [-1.0])),
            helper.make_node(
                "LabelEncoder", ["bill_length_mm"], ["bill_name"], domain=ml,
                keys_tensor=helper.make_tensor("keys", TensorProto.DOUBLE, [3], [39.1, 46.5, 50.0]),
                values_tensor=helper.make_tensor("values", TensorProto.STRING, [3], [b"short", b"medium", b"long"]),
                default_tensor=helper.make_tensor("default", TensorProto.STRING, [1], [b"other"])),
        ]),
    }


LABEL_MAP_NUMPY = {TensorProto.STRING: str, TensorProto.INT64: np.int64, TensorProto.FLOAT: np.float32,
                   TensorProto.DOUBLE: np.float64}


def build_labelmaps(datasets: Path, out: Path, written: list) -> dict:
    df = pd.read_csv(datasets / "penguins.csv")
    mass_by_species = {s: float(np.float32(m)) for s, m in df.groupby("species")["body_mass_g"].mean().items()}
    # Real rows (a missing sex becomes the unknown category "?"), then unknown keys of every kind.
    sample = df.groupby("species").sample(n=3, random_state=SEED)
    columns = {
        "species": sample["species"].astype(str).tolist() + ["Emperor"],
        "island_code": [PENGUIN_ISLANDS.index(i) for i in sample["island"]] + [7],
        "sex": sample["sex"].fillna("?").astype(str).tolist() + ["male"],
        # Numeric keys: exact hits, near misses and a negative, as many as the rows above.
        "flipper_length_mm": [181.0, 190.0, 195.0, 210.0, 217.5, 196.0, 200.0, 181.5, 190.0, -3.0],
        "bill_length_mm": [39.1, 46.5, 50.0, 39.0, 46.5, 50.0, 39.1, 44.0, 50.000001, 0.0],
    }
    # ai.onnx.ml 2 keys the islands 10/20/30; the same rows, shifted, plus unknown codes.
    shifted = {"island_code": [10 * (c + 1) if c < 3 else c for c in columns["island_code"]]}
    model_dir = out / "labelmaps"
    results = {}
    for name, model in label_map_models(mass_by_species).items():
        model_bytes = write_model(model_dir / f"{name}.onnx", model, written)
        sess = make_session(model_bytes)
        values = dict(columns, **shifted) if name == "labels_ml2" else columns

        def case(case_name: str, form: str, rows: slice) -> dict:
            feeds = {i.name: np.array(values[i.name][rows], dtype=LABEL_MAP_NUMPY[i.type.tensor_type.elem_type])
                     for i in model.graph.input}
            expected = run_model(sess, feeds, None)
            request = {k: (to_json_value(v)[0] if form == "single" else to_json_value(v)) for k, v in feeds.items()}
            return {"name": case_name, "request_form": form, "request": request, "feeds": feeds,
                    "expected": expected}

        cases = [case("single_instance", "single", slice(0, 1)), case("csv_sample_and_unknowns", "batch", slice(None))]
        write_cases(model_dir, cases, written, filename=f"{name}.cases.json")
        results[f"labelmaps/{name}"] = {"model": model}
    return results


# --------------------------------------------------------------------------------------------
# broken: files a loader must reject with a useful error.
# --------------------------------------------------------------------------------------------


def unsupported_ops_model() -> onnx.ModelProto:
    """A valid model mixing a supported op (Relu) with three custom-domain ops no runtime has,
    so the load error must name all three at once."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])
    out = helper.make_tensor_value_info("quuxed", TensorProto.FLOAT, [3, 3])
    nodes = [
        helper.make_node("Relu", ["x"], ["relu"], name="relu"),
        helper.make_node("Frobnicate", ["relu"], ["frobnicated"], name="frobnicate", domain="com.example"),
        helper.make_node("Transmogrify", ["frobnicated"], ["transmogrified"], name="transmogrify",
                         domain="com.example"),
        helper.make_node("Quux", ["transmogrified"], ["quuxed"], name="quux", domain="org.acme"),
    ]
    graph = helper.make_graph(nodes, "unsupported_ops", [x], [out])
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("com.example", 1),
                       helper.make_opsetid("org.acme", 1)],
        producer_name="generate_fixtures.py",
    )
    model.ir_version = 8
    # The checker accepts ops of unregistered domains.
    onnx.checker.check_model(model)
    return model


def build_broken(titanic_bytes: bytes, out: Path, written: list) -> dict:
    broken = out / "broken"
    write_bytes(broken / "truncated.onnx", titanic_bytes[: len(titanic_bytes) // 2], written)
    model = unsupported_ops_model()
    write_bytes(broken / "unsupported_ops.onnx", model.SerializeToString(), written)
    text = (
        "This is not an ONNX model.\n"
        "It is a text file with an .onnx extension, written by tools/generate_fixtures.py\n"
        "so that loaders can be tested against input that is not a protobuf at all.\n"
    )
    write_bytes(broken / "not_a_model.onnx", text.encode("utf-8"), written)

    # Each file must fail in onnxruntime too; record how, for the README.
    errors = {}
    for name in ["truncated.onnx", "unsupported_ops.onnx", "not_a_model.onnx"]:
        try:
            make_session((broken / name).read_bytes())
        except Exception as e:  # onnxruntime raises several exception types
            errors[name] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
        else:
            raise AssertionError(f"broken/{name} loaded in onnxruntime")
    return {"model": model, "ort_errors": errors}


# --------------------------------------------------------------------------------------------
# README and summary.
# --------------------------------------------------------------------------------------------


def versions() -> dict:
    return {
        "python": ".".join(str(v) for v in sys.version_info[:3]),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": ort.__version__,
        "torch": torch.__version__,
    }


def signature_md(info: dict) -> list[str]:
    lines = [f"- ops: {', '.join(info['ops'])}"]
    lines += [f"- input `{n}`: {t}" for n, t in info["inputs"]]
    lines += [f"- output `{n}`: {t}" for n, t in info["outputs"]]
    opsets = ", ".join(f"{d} {v}" for d, v in info["opsets"])
    lines.append(f"- opset imports: {opsets}; IR version {info['ir_version']}; "
                 f"producer: {info['producer']}")
    return lines


def write_readme(out: Path, results: dict, written: list) -> None:
    v = versions()
    d = {name: describe_model(r["model"]) for name, r in results.items()}
    lines = [
        "# Test fixtures",
        "",
        "Generated by `tools/generate_fixtures.py`; do not edit by hand. Regenerate with",
        "",
        "    tools/.venv/bin/python tools/generate_fixtures.py",
        "",
        "The output is deterministic (fixed seeds, no timestamps). Generated with "
        + ", ".join(f"{k} {val}" for k, val in v.items())
        + " (see `tools/requirements.txt`). Datasets: `titanic.csv`, `iris.csv` and `penguins.csv`"
        " from the shared dataset folder, read in place.",
        "",
        "## Models",
        "",
        "### `titanic/titanic.onnx`",
        "",
        "scikit-learn Pipeline trained on all 891 rows of titanic.csv (target `survived`): "
        "ColumnTransformer with SimpleImputer(median) + StandardScaler on `fare`, `age` and "
        "OneHotEncoder(handle_unknown=\"ignore\") on `sex`, `embarked`, `pclass` (missing "
        "`embarked` was replaced by the string \"missing\" before training; `pclass` is the "
        "string \"1\", \"2\" or \"3\"), then LogisticRegression. "
        f"Training accuracy {results['titanic']['train_accuracy']:.3f}. Class order of "
        f"`output_probability`: {results['titanic']['classes']}.",
        "",
        *signature_md(d["titanic"]),
        "",
        "Graph shape worth knowing: each ai.onnx.ml `OneHotEncoder` maps `[N, 1]` strings to "
        "`[N, 1, C]` (zeros=1, so an unseen category gives all zeros), the three are concatenated "
        "on the last axis and `Reshape`d to `[N, 9]`; `fare`/`age` are concatenated to `[N, 2]` "
        "before `Imputer` and `Scaler` (`(x - offset) * scale`). The binary LogisticRegression "
        "is a `LinearClassifier` with two rows of coefficients (`-w`, `w`), intercepts "
        "(`-b`, `b`) and post_transform LOGISTIC; there is no Normalizer.",
        "",
        "### `iris/iris.onnx`",
        "",
        "RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0) on iris.csv, "
        "string labels. "
        f"Training accuracy {results['iris']['train_accuracy']:.3f}. Class order of "
        f"`output_probability`: {results['iris']['classes']}.",
        "",
        *signature_md(d["iris"]),
        "",
        "### `svm/svm.onnx`",
        "",
        "SVC(kernel=\"rbf\", probability=True, random_state=0) on iris.csv, string labels: an "
        "ai.onnx.ml `SVMClassifier` with support vectors, `prob_a`/`prob_b` (Platt scaling) and "
        "onnxruntime's pairwise coupling of the one-vs-one probabilities; the label comes from "
        "the one-vs-one votes. "
        f"Training accuracy {results['svm']['train_accuracy']:.3f}. Class order of "
        f"`output_probability`: {results['svm']['classes']}.",
        "",
        *signature_md(d["svm"]),
        "",
        "### `dictvec/dictvec.onnx`",
        "",
        "DictVectorizer(sparse=False) -> StandardScaler -> LogisticRegression on penguins.csv rows "
        "given as {measurement: value} dicts (a measurement the CSV lacks is an absent key): an "
        "ONNX `map(string, float)` input read by ai.onnx.ml `DictVectorizer`. Vocabulary: "
        f"{results['dictvec']['vocabulary']}. Class order of `probabilities`: "
        f"{results['dictvec']['classes']}. `cases.json` expected outputs are onnxruntime's, one "
        "map per call, stacked for the batch case.",
        "",
        *signature_md(d["dictvec"]),
        "",
        "### `mlp/mlp.onnx`",
        "",
        "torch MLP 4 -> Linear 16 -> Relu -> Linear 8 -> Tanh -> Linear 3 -> Softmax, random "
        f"weights from torch.manual_seed(0), exported by the TorchScript exporter (opset {MLP_OPSET}) "
        "with a dynamic batch axis; weights inline (no external data).",
        "",
        *signature_md(d["mlp"]),
        "",
        "### `regressors/*.onnx`",
        "",
        "scikit-learn regressors of `body_mass_g` from `bill_length_mm`, `bill_depth_mm`, "
        "`flipper_length_mm` on the complete penguins.csv rows, exported by skl2onnx (output "
        "`variable`, `[N, 1]`); each `<name>.onnx` has its cases in `<name>.cases.json`. They cover "
        "the ai.onnx.ml regression and feature operators the classifiers above do not use:",
        "",
        "- `linear`: LinearRegression -> `LinearRegressor`.",
        "- `svr`: StandardScaler -> SVR(kernel=\"rbf\", C=1000) -> `Scaler`, `SVMRegressor`.",
        "- `forest`: RandomForestRegressor(n_estimators=5, max_depth=4) -> `TreeEnsembleRegressor` "
        "(ai.onnx.ml 1, float attribute lists).",
        "- `boosting`: GradientBoostingRegressor(n_estimators=20, max_depth=3) -> "
        "`TreeEnsembleRegressor` rewritten to the ai.onnx.ml 3 form (`nodes_values_as_tensor`, "
        "`target_weights_as_tensor`, `base_values_as_tensor`, float32 tensors; the model imports "
        "ai.onnx.ml 3).",
        "- `columns`: ColumnTransformer(Binarizer(threshold=45) on column 0, StandardScaler on "
        "columns 1-2) -> LinearRegression: `ArrayFeatureExtractor` selects the columns, then "
        "`Binarizer`, `Scaler`, `Concat`, `LinearRegressor`.",
        "- `vectorizer`: the features as two inputs, `bill` `[N, 2]` and `flipper` `[N, 1]`, "
        "joined by a `FeatureVectorizer`, then StandardScaler -> LinearRegression (`Scaler`, "
        "`LinearRegressor`).",
        "",
        *[line for name in ("linear", "svr", "forest", "boosting", "columns", "vectorizer")
          for line in [f"`{name}`:", "", *signature_md(d[f"regressors/{name}"]), ""]],
        "### `labelmaps/*.onnx`",
        "",
        "`LabelEncoder` and `CategoryMapper`, which no scikit-learn exporter emits, built with "
        "`onnx.helper`: every input and output is `[N]`; the cases are nine penguins.csv rows "
        "(three per species; `island_code` is the island's index in "
        f"{PENGUIN_ISLANDS}) and a row of unknown keys, so each default is exercised.",
        "",
        "- `labels_ml1` (ai.onnx.ml 1): LabelEncoder with `classes_strings` string -> index "
        "(`default_int64` -1) and index -> string (`default_string`); CategoryMapper string -> "
        "int64 and int64 -> string.",
        "- `labels_ml2` (ai.onnx.ml 2): LabelEncoder `keys_strings` -> `values_floats` (mean body "
        "mass per species), `keys_int64s` -> `values_strings`, `keys_floats` -> `values_int64s`.",
        "- `labels_ml4` (ai.onnx.ml 4): LabelEncoder `keys_tensor`/`values_tensor`/"
        "`default_tensor`: string -> int16, int64 -> double, double -> string.",
        "",
        *[line for name in ("labels_ml1", "labels_ml2", "labels_ml4")
          for line in [f"`{name}`:", "", *signature_md(d[f"labelmaps/{name}"]), ""]],
        "## Cases",
        "",
        "`<model>/cases.json` (`regressors/<name>.cases.json`, `labelmaps/<name>.cases.json`) is a list "
        "of `{name, request_form, request, expected}`:",
        "",
        "- `request` is the JSON body of an HTTP `/eval` request, an object keyed by input name.",
        "- `request_form` says how each value maps onto the input tensor:",
        "  - `batch`: the value has the input's full rank, batch dimension first "
        "(`\"fare\": [[7], [9]]` for a `[N, 1]` input).",
        "  - `single`: one instance without the batch dimension; evaluate it as a batch of one "
        "(`\"fare\": 7` for `[N, 1]`, `\"float_input\": [6.5, 3, 5.5, 1.8]` for `[N, 4]`).",
        "  - `columns`: for `[N, 1]` inputs, one flat list per input (`\"fare\": [7, 9]`), "
        "i.e. the trailing dimension of 1 is left out.",
        "- `expected` holds onnxruntime's outputs in batch form. A ZipMap output "
        "(`output_probability`, seq(map)) is given as a `[batch, classes]` list of floats in "
        "the class order above; labels as a flat list. Floats are float32 values written as "
        "exact doubles; compare with a tolerance (1e-5 is ample).",
        "",
        "No fixture holds a missing value (JSON cannot carry NaN, and the sampled CSV rows are "
        "complete), so the titanic `Imputer` node always passes its input through here.",
        "",
        "onnxruntime does not give bit-identical floats for a row run alone and in a batch "
        "(titanic `single_instance` and `batch_of_two` differ in the last bit), hence the "
        "tolerance.",
        "",
        "`<model>/inputs/<input>.npy` and `<model>/expected/<output>.npy` are the last case of "
        "each `cases.json` "
        f"(titanic: `{results['titanic']['npy_case']}`, iris: `{results['iris']['npy_case']}`, "
        f"svm: `{results['svm']['npy_case']}`, mlp: `{results['mlp']['npy_case']}`) as numpy arrays: numbers as float32, strings as "
        "numpy unicode (`<U`) arrays, integer labels as int64, probabilities as float32 "
        "`[batch, classes]`. For `mlserving predict --input NAME=FILE.npy --output-dir`.",
        "",
        "## Broken models",
        "",
        "Every loader must reject these with an error, never a crash.",
        "",
        "- `broken/truncated.onnx`: the first half of the bytes of `titanic/titanic.onnx`.",
        "- `broken/unsupported_ops.onnx`: a valid model (onnx.checker passes) using Relu and the "
        "custom-domain ops `com.example.Frobnicate`, `com.example.Transmogrify` and `org.acme.Quux`; the load error "
        "must name all three.",
        *["  " + line for line in signature_md(d["broken"])],
        "- `broken/not_a_model.onnx`: a text file.",
        "",
        "onnxruntime's own errors for them:",
        "",
        *[f"- `{n}`: `{e}`" for n, e in results["broken"]["ort_errors"].items()],
        "",
    ]
    write_bytes(out / "README.md", "\n".join(lines).encode("utf-8"), written)


def print_summary(out: Path, results: dict, written: list) -> None:
    print(f"versions: {versions()}")
    for name, r in results.items():
        info = describe_model(r["model"])
        print(f"\n[{name}]")
        for line in signature_md(info):
            print("  " + line)
    if "ort_errors" in results["broken"]:
        print("\nonnxruntime rejects the broken files:")
        for n, e in results["broken"]["ort_errors"].items():
            print(f"  {n}: {e}")
    print(f"\nwrote {len(written)} files under {out}:")
    for path in written:
        size = path.stat().st_size
        print(f"  {size:8d}  {path.relative_to(out)}")
        if size > MAX_FILE_BYTES:
            raise SystemExit(f"{path} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "fixtures",
                        help="output directory (default: fixtures/ at the repository root)")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS,
                        help="folder holding titanic.csv and iris.csv")
    args = parser.parse_args()

    seed_everything()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    results = {
        "titanic": build_titanic(args.datasets, out, written),
        "iris": build_iris(args.datasets, out, written),
        "mlp": build_mlp(out, written),
        "svm": build_svm(args.datasets, out, written),
        "dictvec": build_dictvec(args.datasets, out, written),
    }
    results.update(build_regressors(args.datasets, out, written))
    results.update(build_labelmaps(args.datasets, out, written))
    results["broken"] = build_broken((out / "titanic" / "titanic.onnx").read_bytes(), out, written)
    write_readme(out, results, written)
    print_summary(out, results, written)
    return 0


if __name__ == "__main__":
    sys.exit(main())

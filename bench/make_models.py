#!/usr/bin/env python3
"""Generates the benchmark models and their inputs into bench/models/ (gitignored).

    tools/.venv/bin/python bench/make_models.py            # writes bench/models/
    tools/.venv/bin/python bench/make_models.py --out DIR  # writes elsewhere
    tools/.venv/bin/python bench/make_models.py --only gbm,mlp

Models (random weights are fine: the benchmark measures speed, not accuracy):

  titanic   fixtures/titanic/titanic.onnx, used in place (skl2onnx preprocessing pipeline +
            LogisticRegression, string and float inputs). Batches 1 and 100 (the 20 fixture rows
            tiled).
  mlp       tabular MLP 32 -> 256 ReLU -> 256 ReLU -> 1, torch, input `x` [batch, 32].
            Batches 1 and 64.
  gbm       scikit-learn GradientBoostingClassifier, 100 trees of depth 3, on
            make_classification(2000 rows, 20 features), exported by skl2onnx with zipmap=False
            (TreeEnsembleClassifier, ai.onnx.ml 3). Batches 1 and 100 (rows of the training set).
  resnet18  ResNet-18-shaped CNN written here (BasicBlocks 64-128-256-512, 1000 classes), BN
            statistics calibrated on random images then exported in eval mode (the TorchScript
            exporter folds BN into the convolutions). Input `images` [batch, 3, 224, 224] with a
            dynamic batch axis. Batches 1 and 8.
  bert      BERT-base-shaped encoder written here: 12 post-LN layers, hidden 768, 12 heads,
            FFN 3072 with exact (erf) GELU, LayerNorm eps 1e-12, no attention mask. The input is
            the float embeddings `embeddings` [batch, 128, 768] (token/position embedding lookup
            and the tokenizer are left out on purpose: they are not where an encoder spends its
            time). Batch 1.

Everything is deterministic (fixed seeds). The torch models go through the TorchScript exporter
(dynamo=False, opset 17). bench/models/manifest.json lists every case: model file, batch, the input
.npy files and the latency target of the comparison (see bench/compare_onnxruntime.py).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "bench" / "models"
TITANIC_FIXTURE = REPO_ROOT / "fixtures" / "titanic"
SEED = 0
TORCH_OPSET = 17
SKL_TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}

# Latency-ratio targets of issue 3 item 6: tabular and tree models must match ONNX Runtime,
# the deep models may be up to 1.5x slower.
TABULAR_TARGET = 1.0
DEEP_TARGET = 1.5


def export_torch(net: nn.Module, example: torch.Tensor, input_name: str, output_name: str,
                 path: Path) -> None:
    """TorchScript export (opset 17) with a dynamic batch axis; weights inline."""
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            (example,),
            buf,
            dynamo=False,
            input_names=[input_name],
            output_names=[output_name],
            dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
            opset_version=TORCH_OPSET,
            do_constant_folding=True,
        )
    model = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


def save_inputs(out: Path, model: str, batch: int, arrays: dict[str, np.ndarray]) -> dict:
    directory = out / model / f"inputs_b{batch}"
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, array in arrays.items():
        path = directory / f"{name}.npy"
        np.save(path, array)
        files[name] = str(path.relative_to(out))
    return files


def case(model: str, model_file: str, batch: int, inputs: dict, target: float, kind: str) -> dict:
    return {"model": model, "model_file": model_file, "batch": batch, "inputs": inputs,
            "target": target, "kind": kind}


# ------------------------------------------------------------------------------------------
# titanic: the committed fixture, inputs tiled to the batch size.
# ------------------------------------------------------------------------------------------


def build_titanic(out: Path) -> list[dict]:
    names = ["fare", "sex", "embarked", "pclass", "age"]
    rows = {name: np.load(TITANIC_FIXTURE / "inputs" / f"{name}.npy") for name in names}
    model_file = str((TITANIC_FIXTURE / "titanic.onnx").resolve())
    cases = []
    for batch in (1, 100):
        arrays = {}
        for name, array in rows.items():
            reps = -(-batch // array.shape[0])
            arrays[name] = np.ascontiguousarray(np.tile(array, (reps, 1))[:batch])
        cases.append(case("titanic", model_file, batch, save_inputs(out, "titanic", batch, arrays),
                          TABULAR_TARGET, "tabular"))
    return cases


# ------------------------------------------------------------------------------------------
# mlp: tabular MLP.
# ------------------------------------------------------------------------------------------


def build_mlp(out: Path) -> list[dict]:
    torch.manual_seed(SEED)
    net = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                        nn.Linear(256, 1)).eval()
    (out / "mlp").mkdir(parents=True, exist_ok=True)
    export_torch(net, torch.zeros(1, 32), "x", "y", out / "mlp" / "model.onnx")
    rng = np.random.default_rng(SEED)
    cases = []
    for batch in (1, 64):
        x = rng.standard_normal((batch, 32)).astype(np.float32)
        cases.append(case("mlp", "mlp/model.onnx", batch, save_inputs(out, "mlp", batch, {"x": x}),
                          TABULAR_TARGET, "tabular"))
    return cases


# ------------------------------------------------------------------------------------------
# gbm: scikit-learn gradient boosting through skl2onnx.
# ------------------------------------------------------------------------------------------


def build_gbm(out: Path) -> list[dict]:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = make_classification(n_samples=2000, n_features=20, n_informative=10, random_state=SEED)
    x = x.astype(np.float32)
    gbm = GradientBoostingClassifier(n_estimators=100, max_depth=3, random_state=SEED).fit(x, y)
    model = to_onnx(gbm, initial_types=[("x", FloatTensorType([None, 20]))],
                    options={id(gbm): {"zipmap": False}}, target_opset=SKL_TARGET_OPSET)
    (out / "gbm").mkdir(parents=True, exist_ok=True)
    (out / "gbm" / "model.onnx").write_bytes(model.SerializeToString())
    cases = []
    for batch in (1, 100):
        arrays = {"x": np.ascontiguousarray(x[:batch])}
        cases.append(case("gbm", "gbm/model.onnx", batch, save_inputs(out, "gbm", batch, arrays),
                          TABULAR_TARGET, "tree"))
    return cases


# ------------------------------------------------------------------------------------------
# resnet18: ResNet-18-shaped CNN.
# ------------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + identity)


class ResNet18(nn.Module):
    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        layers = []
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def build_resnet18(out: Path) -> list[dict]:
    torch.manual_seed(SEED)
    net = ResNet18()
    # Random weights would let activations drift by orders of magnitude over 20 layers; a few
    # training-mode passes give the BatchNorms real statistics so the outputs stay O(1).
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the calibration batches
    net.train()
    with torch.no_grad():
        for _ in range(2):
            net(torch.randn(4, 3, 224, 224))
    net.eval()
    (out / "resnet18").mkdir(parents=True, exist_ok=True)
    export_torch(net, torch.zeros(1, 3, 224, 224), "images", "logits",
                 out / "resnet18" / "model.onnx")
    rng = np.random.default_rng(SEED)
    cases = []
    for batch in (1, 8):
        images = rng.standard_normal((batch, 3, 224, 224)).astype(np.float32)
        cases.append(case("resnet18", "resnet18/model.onnx", batch,
                          save_inputs(out, "resnet18", batch, {"images": images}), DEEP_TARGET,
                          "cnn"))
    return cases


# ------------------------------------------------------------------------------------------
# bert: BERT-base-shaped encoder.
# ------------------------------------------------------------------------------------------


class EncoderLayer(nn.Module):
    """One post-LN BERT layer: self-attention + residual + LayerNorm, FFN + residual + LayerNorm."""

    def __init__(self, hidden: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.gelu = nn.GELU()
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ffn_norm = nn.LayerNorm(hidden, eps=1e-12)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, h = x.shape
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / (self.head_dim ** 0.5)
        context = torch.matmul(torch.softmax(scores, dim=-1), v)
        context = context.transpose(1, 2).reshape(b, s, h)
        x = self.attn_norm(x + self.attn_out(context))
        return self.ffn_norm(x + self.ffn_out(self.gelu(self.ffn_in(x))))


class BertEncoder(nn.Module):
    def __init__(self, layers: int = 12, hidden: int = 768, heads: int = 12, ffn: int = 3072):
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, ffn) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


def build_bert(out: Path) -> list[dict]:
    torch.manual_seed(SEED)
    net = BertEncoder()
    with torch.no_grad():  # BERT's initialiser: N(0, 0.02) weights, zero biases
        for module in net.modules():
            if isinstance(module, nn.Linear):
                module.weight.normal_(0.0, 0.02)
                module.bias.zero_()
    net.eval()
    (out / "bert").mkdir(parents=True, exist_ok=True)
    export_torch(net, torch.zeros(1, 128, 768), "embeddings", "hidden_states",
                 out / "bert" / "model.onnx")
    rng = np.random.default_rng(SEED)
    embeddings = rng.standard_normal((1, 128, 768)).astype(np.float32)
    return [case("bert", "bert/model.onnx", 1,
                 save_inputs(out, "bert", 1, {"embeddings": embeddings}), DEEP_TARGET,
                 "transformer")]


BUILDERS = {
    "titanic": build_titanic,
    "mlp": build_mlp,
    "gbm": build_gbm,
    "resnet18": build_resnet18,
    "bert": build_bert,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", default=",".join(BUILDERS), help="comma-separated model names")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in BUILDERS]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(BUILDERS)}")
    torch.set_num_threads(2)

    manifest_path = out / "manifest.json"
    cases: list[dict] = []
    if manifest_path.exists():  # keep the cases of the models not rebuilt this time
        cases = [c for c in json.loads(manifest_path.read_text())["cases"]
                 if c["model"] not in wanted]
    for name in wanted:
        shutil.rmtree(out / name, ignore_errors=True)
        (out / name).mkdir(parents=True, exist_ok=True)
        new_cases = BUILDERS[name](out)
        print(name + ": " + ", ".join(f"batch {c['batch']}" for c in new_cases))
        cases += new_cases
    order = list(BUILDERS)
    cases.sort(key=lambda c: (order.index(c["model"]), c["batch"]))
    manifest_path.write_text(json.dumps({"cases": cases}, indent=1) + "\n")
    print(f"wrote {manifest_path}")


if __name__ == "__main__":
    main()

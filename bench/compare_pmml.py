#!/usr/bin/env python3
"""PMML scoring speed of `mlserving bench` against pypmml and jpmml-evaluator (PyPI), in one run.

    tools/.venv-pmml/bin/python bench/compare_pmml.py            # full run (~9 min on 2 cores)
    tools/.venv-pmml/bin/python bench/compare_pmml.py --quick    # smoke run, a few minutes

For every case of bench/models/pmml/manifest.json (bench/make_pmml_models.py, run first when the
manifest is missing): a 500-tree random forest, a 100-tree gradient boosting model and a logistic
regression, each with a single row and a 1,000-row batch (the same CSV rows for everybody):

* ours: `mlserving bench MODEL --csv ROWS.csv` in a subprocess, which times `Evaluate()` on the
  CSV's rows as one batch (column tensors in, column tensors out) inside the C++ process.
* pypmml (py4j: a JVM gateway process; pmml4s): single row `Model.predict(dict)`, batch
  `Model.predict(DataFrame)`.
* jpmml-evaluator (JPype: the JVM inside this process): single row `Evaluator.evaluate(dict)`,
  batch `Evaluator.evaluateAll(DataFrame)`. These are the two PyPI packages' own APIs, what a
  Python user calls; their time includes each package's Python <-> Java marshalling.
* jpmml JVM (information only, not a target peer): the Java `ModelEvaluator.evaluate(Map)` called
  through JPype with the argument maps built beforehand, so that nearly all of its time is the
  JVM's own evaluation (a JPype call costs about a microsecond); the batch is a loop over the
  1,000 prepared maps.

Every JVM side is warmed up (at least 2 s and 200 calls; the JIT needs it) before timing. Rounds
alternate between the engines; each reports the median of its calls, and a latency is the median
of the round medians, so that background load hits everybody alike. The table gives, per case, each
engine's median latency, the speed-up of ours against the fastest PyPI peer (its latency / ours; the
target: >= 20x for one row, >= 5x for 1,000 rows) and against the JVM called directly, batch
throughput (rows/s) and peak RSS (ours: `peak_rss_mb` of `mlserving bench`). Correctness is
checked once per case: our outputs (`mlserving predict --csv`) against jpmml-evaluator's, to 1e-9
relative.

The Markdown table goes to stdout, progress to stderr; --json-out writes every number. The exit
status is 1 when our side failed on a case, 0 otherwise (a missed target is not an error).
"""

from __future__ import annotations

import csv
import io
import json
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import harness
from harness import EngineError, fmt, load_cases, run_fresh

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODELS = REPO_ROOT / "bench" / "models" / "pmml"
CHECK_RTOL = 1e-9
PEERS = ("pypmml", "jpmml")  # the PyPI packages' APIs: the target peers
ENGINES = ("ours", *PEERS, "jvm")


@dataclass
class Budget:
    rounds: int  # alternating rounds after the warm-up
    round_s: float  # target time of one round, per engine
    warmup_s: float  # JVM warm-up per (engine, case), at least WARMUP_CALLS calls
    max_iterations: int
    timeout_s: float


FULL = Budget(rounds=5, round_s=1.0, warmup_s=3.0, max_iterations=5000, timeout_s=600.0)
QUICK = Budget(rounds=2, round_s=0.3, warmup_s=1.0, max_iterations=1000, timeout_s=300.0)
WARMUP_CALLS = 200


@dataclass
class Row:
    model: str
    batch: int
    target: float
    rounds: dict = field(default_factory=lambda: {e: [] for e in ENGINES})
    ms: dict = field(default_factory=dict)
    ours_rss_mb: float | None = None
    ours_load_ms: float | None = None
    peer_load_s: dict = field(default_factory=dict)
    check: str = ""
    error: str = ""

    def speedup(self, engine: str) -> float | None:
        if self.ms.get("ours") is None or self.ms.get(engine) is None:
            return None
        return self.ms[engine] / self.ms["ours"]

    @property
    def fastest_peer(self) -> str | None:
        known = [p for p in PEERS if self.ms.get(p) is not None]
        return min(known, key=lambda p: self.ms[p]) if known else None


# ------------------------------------------------------------------------------------------
# Ours, through the CLI.
# ------------------------------------------------------------------------------------------


def run_checked(command: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    """run_fresh (harness.py: a fresh /bin/sh, so that the peak RSS is the command's own, not this
    JVM-carrying process's) that turns a timeout or a failure exit into an EngineError."""
    try:
        done = run_fresh(command, timeout_s)
    except subprocess.TimeoutExpired:
        raise EngineError(f"timeout after {timeout_s:.0f} s") from None
    if done.returncode != 0:
        raise EngineError(f"exit {done.returncode}: "
                          + (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1])
    return done


def run_ours(binary: Path, model: Path, rows: Path, warmup: int, iterations: int, timeout_s: float) -> dict:
    done = run_checked([str(binary), "bench", str(model), "--csv", str(rows), "--warmup", str(warmup),
                      "--iterations", str(iterations)], timeout_s)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        raise EngineError(f"unparsable bench output: {done.stdout[-200:]!r}") from None


def predict_ours(binary: Path, model: Path, rows: Path, timeout_s: float) -> list[dict]:
    done = run_checked([str(binary), "predict", str(model), "--csv", str(rows)], timeout_s)
    return list(csv.DictReader(io.StringIO(done.stdout)))


# ------------------------------------------------------------------------------------------
# The peers, in this process.
# ------------------------------------------------------------------------------------------


class Peers:
    """One pypmml Model and one jpmml-evaluator Evaluator of a model (loaded once), and the calls
    each engine makes on the rows of `use_rows`."""

    def __init__(self, model: Path) -> None:
        from jpmml_evaluator import make_evaluator
        from pypmml import Model

        self.load_s = {}
        start = time.perf_counter()
        self.pypmml = Model.load(str(model))
        self.load_s["pypmml"] = time.perf_counter() - start
        start = time.perf_counter()
        self.jpmml = make_evaluator(str(model), backend="jpype").verify()
        self.load_s["jpmml"] = time.perf_counter() - start
        self.java_evaluator = self.jpmml.javaEvaluator
        # What a PMML consumer gets back: the final OutputFields (else the targets).
        intermediate = set(re.findall(r'<OutputField name="([^"]+)"[^>]*isFinalResult="false"',
                                      model.read_text(encoding="utf-8")))
        self.result_names = ([f.getName() for f in self.jpmml.getOutputFields() if f.getName() not in intermediate]
                             or [f.getName() for f in self.jpmml.getTargetFields()])

    def use_rows(self, rows_csv: Path) -> None:
        import jpype
        import pandas as pd

        self.frame = pd.read_csv(rows_csv)
        self.single = len(self.frame) == 1
        records = self.frame.to_dict(orient="records")
        java_map = jpype.JClass("java.util.LinkedHashMap")
        java_rows = []
        for record in records:
            arguments = java_map()
            for name, value in record.items():
                arguments.put(name, jpype.JDouble(value))
            java_rows.append(arguments)
        record, frame = records[0], self.frame
        if self.single:
            self.calls = {"pypmml": lambda: self.pypmml.predict(record),
                          "jpmml": lambda: self.jpmml.evaluate(record),
                          "jvm": lambda: self.java_evaluator.evaluate(java_rows[0])}
        else:
            self.calls = {"pypmml": lambda: self.pypmml.predict(frame),
                          "jpmml": lambda: self.jpmml.evaluateAll(frame),
                          "jvm": lambda: [self.java_evaluator.evaluate(r) for r in java_rows]}

    def timed(self, engine: str, iterations: int) -> list[float]:
        call, times = self.calls[engine], []
        for _ in range(iterations):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1e3)
        return times

    def warm_up(self, engine: str, seconds: float) -> float:
        """Runs `engine` for `seconds` and at least WARMUP_CALLS calls (a slow batch: 3 calls at
        least, 60 s at most); returns the median of the last calls in seconds."""
        deadline = time.perf_counter() + seconds
        hard_deadline = time.perf_counter() + 60.0
        times: list[float] = []
        while (time.perf_counter() < deadline or len(times) < (WARMUP_CALLS if self.single else 3)) \
                and not (time.perf_counter() > hard_deadline and len(times) >= 3):
            times += self.timed(engine, 1)
        return statistics.median(times[-max(3, len(times) // 4):]) / 1e3

    def jpmml_results(self) -> list[dict]:
        return self.jpmml.evaluateAll(self.frame).to_dict(orient="records")


# ------------------------------------------------------------------------------------------
# Measurement.
# ------------------------------------------------------------------------------------------


def compare(ours: list[dict], theirs: list[dict], result_names: list[str]) -> str:
    """Our rows against jpmml-evaluator's; also names the results jpmml returns and we do not."""
    if len(ours) != len(theirs):
        return f"MISMATCH {len(ours)} rows vs {len(theirs)}"
    lacking = [n for n in result_names if ours and n not in ours[0]]
    note = f"; we lack jpmml's {', '.join(lacking)}" if lacking else ""
    worst = 0.0
    for i, (a, b) in enumerate(zip(ours, theirs)):
        for column, text in a.items():
            if column not in b:
                return f"MISMATCH jpmml has no {column!r}"
            try:
                mine, want = float(text), float(b[column])
            except (TypeError, ValueError):  # labels
                if str(text) != str(b[column]):
                    return f"MISMATCH row {i + 1} {column}: {text!r} vs {b[column]!r}"
                continue
            diff = abs(mine - want) / max(abs(want), 1e-300) if mine != want else 0.0
            if diff > CHECK_RTOL and abs(mine - want) > 1e-15:
                return f"MISMATCH row {i + 1} {column}: {mine!r} vs {want!r}"
            worst = max(worst, diff)
    return (f"ok ({worst:.0e})" if worst else "ok") + note


def iterations_for(seconds_per_call: float, budget: Budget) -> int:
    if seconds_per_call <= 0:
        return budget.max_iterations
    return int(max(1, min(budget.max_iterations, budget.round_s / seconds_per_call)))


def measure(case: dict, peers: Peers, binary: Path, models_dir: Path, budget: Budget, check: bool) -> Row:
    row = Row(case["model"], case["batch"], case["target"])
    model, rows_csv = models_dir / case["model_file"], models_dir / case["input_csv"]
    peers.use_rows(rows_csv)
    row.peer_load_s = peers.load_s
    try:
        if check:
            row.check = compare(predict_ours(binary, model, rows_csv, budget.timeout_s), peers.jpmml_results(),
                                peers.result_names)
        probe = run_ours(binary, model, rows_csv, 1, 1, budget.timeout_s)
        row.ours_load_ms, row.ours_rss_mb = probe["load_ms"], probe["peak_rss_mb"]
        ours_k = iterations_for(probe["median_ms"] / 1e3, budget)
    except EngineError as error:
        row.error = str(error)
        return row
    # Calls per round: about round_s of each engine's time; a call slower than that (a 1,000-row
    # batch of the forest) is made once per round.
    peer_k = {engine: iterations_for(peers.warm_up(engine, budget.warmup_s), budget)
              for engine in ("pypmml", "jpmml", "jvm")}
    for _ in range(budget.rounds):
        try:
            result = run_ours(binary, model, rows_csv, min(100, ours_k // 5), ours_k, budget.timeout_s)
        except EngineError as error:
            row.error = str(error)
            return row
        row.rounds["ours"].append(result["median_ms"])
        row.ours_rss_mb = max(row.ours_rss_mb, result["peak_rss_mb"])
        for engine, k in peer_k.items():
            row.rounds[engine].append(statistics.median(peers.timed(engine, k)))
    row.ms = {engine: statistics.median(r) for engine, r in row.rounds.items() if r}
    return row


# ------------------------------------------------------------------------------------------
# Report.
# ------------------------------------------------------------------------------------------


def markdown_table(rows: list[Row]) -> str:
    header = ["model", "rows", "ours ms", "pypmml ms", "jpmml ms", "jpmml JVM ms", "speed-up vs fastest peer",
              "target", "", "speed-up vs JVM", "ours rows/s", "fastest peer rows/s", "our RSS MB", "outputs"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        fastest = r.fastest_peer
        speedup = r.speedup(fastest) if fastest else None
        status = "FAIL" if r.ms.get("ours") is None else ("OK" if speedup and speedup >= r.target else "MISS")
        rate = lambda engine: None if r.ms.get(engine) is None else r.batch / (r.ms[engine] / 1e3)  # noqa: E731
        lines.append("| " + " | ".join([
            r.model, str(r.batch), fmt(r.ms.get("ours")), fmt(r.ms.get("pypmml")), fmt(r.ms.get("jpmml")),
            fmt(r.ms.get("jvm")), f"{fmt(speedup, 1)}× ({fastest or '-'})", f"≥ {r.target:g}×", status,
            f"{fmt(r.speedup('jvm'), 1)}×", fmt(rate("ours"), 0), fmt(rate(fastest), 0) if fastest else "-",
            fmt(r.ours_rss_mb, 1), (" ".join(p for p in (r.check, r.error) if p) or "-").replace("|", "/"),
        ]) + " |")
    return "\n".join(lines)


def machine_facts(binary: Path) -> dict:
    import jpmml_evaluator
    import pypmml

    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return {**harness.machine_facts(binary), "java": java[0] if java else "?",
            "pypmml": getattr(pypmml, "__version__", "?"), "jpmml_evaluator": jpmml_evaluator.__version__}


def main() -> int:
    parser = harness.argument_parser(__doc__.split("\n\n")[0], "fewer and shorter rounds", DEFAULT_MODELS)
    args = parser.parse_args()

    binary = harness.existing_binary(parser, args)
    models_dir = args.models_dir.resolve()
    cases = load_cases(models_dir, "make_pmml_models.py", args.models)
    budget = QUICK if args.quick else FULL
    facts = machine_facts(binary)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    log(f"{facts['cpu']}, nproc {facts['nproc']}, {facts['java']}, load average {facts['loadavg']:.1f}")
    rows = []
    loaded: dict[str, Peers | str] = {}
    for case in cases:
        log(f"{case['model']} x {case['batch']} ...")
        if case["model"] not in loaded:
            loaded.clear()  # one model in the JVMs at a time
            try:
                loaded[case["model"]] = Peers(models_dir / case["model_file"])
            except Exception as error:  # noqa: BLE001 - a JVM failure must not end the run
                loaded[case["model"]] = f"peers: {str(error).splitlines()[0][:200]}"
        peers = loaded[case["model"]]
        if isinstance(peers, str):
            row = Row(case["model"], case["batch"], case["target"], error=peers)
        else:
            row = measure(case, peers, binary, models_dir, budget, not args.no_check)
        rows.append(row)
        log("  " + ", ".join(f"{e} {fmt(row.ms.get(e))} ms" for e in ENGINES)
            + f", check {row.check}{', error: ' + row.error if row.error else ''}")
    elapsed = time.perf_counter() - started
    print(markdown_table(rows))
    print()
    print(f"{'quick' if args.quick else 'full'} run, {elapsed:.0f} s; {facts['cpu']}, nproc {facts['nproc']}, "
          f"{facts['java']}, pypmml {facts['pypmml']}, jpmml_evaluator {facts['jpmml_evaluator']}, checkout "
          f"{facts['commit']}, load average at start {facts['loadavg']:.1f}")
    print("speed-up = the peer's median latency / ours (higher is better); peers = the PyPI packages' Python "
          "APIs; jpmml JVM = Java ModelEvaluator.evaluate on prepared maps through JPype (information only)")
    if args.json_out:
        args.json_out.write_text(json.dumps({"facts": facts, "quick": args.quick, "elapsed_s": elapsed,
                                             "rows": [vars(r) for r in rows]}, indent=1) + "\n")
    return 1 if any(r.ms.get("ours") is None for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

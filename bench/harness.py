"""What the peer benchmarks share (compare_onnxruntime.py, compare_pmml.py): running our binary
so that its peak RSS is its own, number formatting, machine facts and the model manifest.
Standard library only: each benchmark runs it from its own virtual environment."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BINARY = REPO_ROOT / "build" / "src" / "mlserving"


class EngineError(Exception):
    """An engine failed on a case (timeout, exit status, unreadable output)."""


def run_fresh(command: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    """Runs `command` as a grandchild of a freshly exec'd /bin/sh.

    Linux carries the peak RSS over fork and exec: a process forked from this (large) Python
    process starts with ru_maxrss at this process's current RSS, so a child's peak-RSS reading
    would report at least that. The small shell in between resets the inherited high-water mark
    to its own few MB. Raises subprocess.TimeoutExpired after killing the whole process group.
    """
    # Own process group, so a timeout ends the grandchild too (the shell alone would orphan it).
    process = subprocess.Popen(["/bin/sh", "-c", '"$0" "$@"; exit $?', *command],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def fmt(value: float | None, digits: int | None = None) -> str:
    """`value` with `digits` decimals, or three significant digits; "-" for None."""
    if value is None:
        return "-"
    if digits is None:
        digits = max(0, 2 - int(math.floor(math.log10(abs(value))))) if value else 0
    return f"{value:.{digits}f}"


def machine_facts(binary: Path) -> dict:
    """CPU, kernel, Python, load and checkout: the part of a run's facts every benchmark prints."""
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    commit = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "python": platform.python_version(), "mlserving": str(binary), "commit": commit,
            "loadavg": os.getloadavg()[0]}


def argument_parser(description: str, quick_help: str, default_models: Path) -> argparse.ArgumentParser:
    """The options both comparisons take: --quick, --mlserving, --models-dir, --models, --no-check,
    --json-out (a script adds its own before parse_args)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--mlserving", type=Path, default=DEFAULT_BINARY,
                        help="our binary (default: build/src/mlserving)")
    parser.add_argument("--models-dir", type=Path, default=default_models)
    parser.add_argument("--models", default="", help="comma-separated model names (default: all)")
    parser.add_argument("--no-check", action="store_true", help="skip the output comparison")
    parser.add_argument("--json-out", type=Path, help="write every number to this JSON file")
    return parser


def existing_binary(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Path:
    """args.mlserving resolved; a usage error naming the build command when it is missing."""
    binary = args.mlserving.resolve()
    if not binary.exists():
        parser.error(f"{binary} not found; build it with ./scripts/build.sh mlserving")
    return binary


def load_cases(models_dir: Path, generator: str, models: str) -> list[dict]:
    """The cases of `models_dir`/manifest.json, generating the models first with
    bench/`generator` when the manifest is missing; only the comma-separated `models` when given."""
    manifest = models_dir / "manifest.json"
    if not manifest.exists():
        print(f"{manifest} missing: generating the models first", file=sys.stderr)
        subprocess.run([sys.executable, str(REPO_ROOT / "bench" / generator), "--out", str(models_dir)],
                       check=True)
    cases = json.loads(manifest.read_text())["cases"]
    if models:
        wanted = set(models.split(","))
        cases = [c for c in cases if c["model"] in wanted]
    return cases

"""``python -m cnnviz curves`` / ``train``: JSON on stdout only, errors on stderr with exit status 2.

One test per command runs the real command (its stdout and exit status as a shell sees them); the others call
``cnnviz.cli.main.main`` in this process, the same code without an interpreter start-up each."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def cli(capsys):
    """``cli(*ARGS)``: ``python -m cnnviz ARGS`` in this process, as (returncode, stdout, stderr)."""
    from cnnviz.cli.main import main

    def run(*args: str) -> subprocess.CompletedProcess:
        status = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


def test_curves_plain_vs_residual_json():
    result = _process("curves", "plain-vs-residual", "--json")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)  # stdout holds only the JSON
    assert isinstance(runs, list) and runs
    assert {run["kind"] for run in runs} == {"plain", "residual"}
    for run in runs:
        assert {"kind", "depth", "train_loss", "val_error"} <= run.keys()
        assert isinstance(run["depth"], int) and (run["depth"] - 2) % 6 == 0
        assert len(run["train_loss"]) == len(run["val_error"]) > 1
        assert all(isinstance(v, float) and v > 0 for v in run["train_loss"])
        assert all(0.0 <= v <= 1.0 for v in run["val_error"])
    depths = {kind: sorted(r["depth"] for r in runs if r["kind"] == kind) for kind in ("plain", "residual")}
    assert depths["plain"] == depths["residual"]  # every depth in both kinds


def test_curves_text_names_every_run(cli):
    result = cli("curves", "plain-vs-residual")
    assert result.returncode == 0, result.stderr
    runs = json.loads(cli("curves", "plain-vs-residual", "--json").stdout)
    for run in runs:
        assert f"{run['kind']}-{run['depth']}" in result.stdout


def test_curves_transfer_json(cli):
    result = cli("curves", "transfer", "--json")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    assert [run["mode"] for run in runs] == ["frozen", "finetune", "scratch"]
    for run in runs:
        assert 0.0 <= run["test_accuracy"] <= 1.0 and run["seconds"] > 0
    frozen = next(run for run in runs if run["mode"] == "frozen")
    assert frozen["trainable_params"] == 1280 * 10 + 10  # only the new linear head


@pytest.mark.parametrize("args", [("curves", "nonsense", "--json"), ("train", "nonsense", "--json"),
                                  ("train", "plain-vs-residual", "--threads", "0", "--json"),
                                  # its small nets always run single-threaded: the flag would do nothing
                                  ("train", "plain-vs-residual", "--threads", "2", "--json")])
def test_bad_names_are_errors(cli, args):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error:")


def test_a_bad_training_is_exit_status_2_with_nothing_on_stdout():
    result = _process("train", "nonsense", "--json")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1

"""``python -m cnnviz rf``: JSON on stdout only, one-line errors on stderr with exit status 2.

One test runs the real command (its stdout and exit status as a shell sees them); the others call
``cnnviz.cli.main.main`` in this process, the same code without an interpreter start-up each."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _process(*args):
    return subprocess.run([sys.executable, "-m", "cnnviz", "rf", *args], capture_output=True, text=True, cwd=ROOT)


def _in_process(capsys, *args) -> tuple[int, str, str]:
    """``python -m cnnviz rf ARGS`` in this process (no interpreter start-up): (exit status, stdout, stderr)."""
    from cnnviz.cli.main import main

    status = main(["rf", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def run(capsys):
    """``run(*ARGS)``: ``python -m cnnviz rf ARGS`` in this process, as (returncode, stdout, stderr)."""
    return lambda *args: subprocess.CompletedProcess(args, *_in_process(capsys, *args))


def test_json_is_the_whole_stdout():
    result = _process("vgg16", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "vgg16" and data["receptive_field"] == 212 and data["effective_stride"] == 32
    first = data["layers"][0]
    assert {"name", "rf", "jump", "start"} <= set(first)
    assert (first["name"], first["rf"], first["jump"], first["start"]) == ("features.0", 3, 1, 0)
    # Two stacked 3x3 convolutions (the notes' 3 + 3 - 1 = 5), then the first pool doubles the jump.
    assert [(layer["rf"], layer["jump"]) for layer in data["layers"][1:3]] == [(5, 1), (6, 2)]


def test_branching_model_and_measurement_agree(run):
    data = json.loads(run("resnet18", "--measure", "--json").stdout)
    # The longest path: conv1 (7, stride 2), max-pool (3, stride 2), then all 16 3x3 convolutions; the first of
    # each later stage has stride 2 and still reads the previous stage's spacing.
    hand = 7 + 2 * 2 + 4 * 2 * 4 + (2 * 4 + 3 * 2 * 8) + (2 * 8 + 3 * 2 * 16) + (2 * 16 + 3 * 2 * 32)
    assert data["receptive_field"] == data["measured_receptive_field"] == hand == 435


def test_measurement_at_another_input_size(run):
    # At 448 pixels AlexNet's adaptive pool (13 -> 6) is the last stage; the measurement used to ignore
    # --input-size and measure features.12 at 224 pixels: 195 px, "DIFFERENT".
    result = run("alexnet", "--input-size", "448", "--measure")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("alexnet: receptive field 259 px at avgpool")
    assert result.stdout.rstrip().endswith("measured by back-propagation: 259 px (equal)")


def test_variant_and_text_output(run):
    result = run("vgg16", "--variant", "vgg11")
    assert result.returncode == 0
    assert result.stdout.startswith("vgg11: receptive field 150 px")


def test_unknown_name_is_one_line_on_stderr(run):
    result = run("vgg17", "--json")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "vgg17" in lines[0] and "resnet50" in lines[0]


def test_impossible_input_size_is_an_error_not_a_traceback(run):
    result = run("alexnet", "--input-size", "16", "--json")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr


def test_a_size_below_one_pixel_is_refused_for_a_timm_model_as_for_the_registry(capsys):
    registry = _in_process(capsys, "alexnet", "--input-size", "0", "--json")
    assert registry[0] == 2 and registry[1] == "" and len(registry[2].strip().splitlines()) == 1
    assert _in_process(capsys, "timm:resnet18", "--input-size", "0", "--json") == registry


def test_measurement_beyond_its_memory_bound_is_one_line_not_a_traceback(capsys):
    """At 100000 pixels the measurement asked for a 40 GB tensor and ended in a traceback."""
    from cnnviz.cli.commands.rf import MEASURE_MAX_INPUT

    status, out, err = _in_process(capsys, "alexnet", "--input-size", "100000", "--measure", "--json")
    assert status == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("error: --measure") and str(MEASURE_MAX_INPUT) in line
    # Without --measure the same size is traced on the meta device: no bound.
    status, out, _ = _in_process(capsys, "alexnet", "--input-size", "100000", "--json")
    assert status == 0 and json.loads(out)["receptive_field"] > 10_000


def test_the_bound_itself_is_measured(capsys):
    """The largest size --measure takes works (AlexNet there: about 2 s and 150 MB)."""
    from cnnviz.cli.commands.rf import MEASURE_MAX_INPUT

    status, out, err = _in_process(capsys, "alexnet", "--input-size", str(MEASURE_MAX_INPUT), "--measure", "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["measured_receptive_field"] == data["receptive_field"]
    assert _in_process(capsys, "alexnet", "--input-size", str(MEASURE_MAX_INPUT + 1), "--measure")[0] == 2


def test_a_failed_measurement_is_one_line(capsys, monkeypatch):
    from cnnviz.analysis.receptive_field import measure

    def fails(*args, **kwargs):
        raise ValueError("no input size lets features.12 be measured\nmore detail")

    monkeypatch.setattr(measure, "measured_receptive_field", fails)
    status, out, err = _in_process(capsys, "alexnet", "--measure", "--json")
    assert status == 2 and out == ""
    assert err.strip().splitlines() == ["error: alexnet: features.12 cannot be measured: no input size lets "
                                        "features.12 be measured"]

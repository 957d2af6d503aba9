"""``python -m cnnviz``: JSON on stdout only, one-line errors on stderr with exit status 2."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def _run(*args):
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], capture_output=True, text=True, cwd=ROOT)


def test_summary_json_is_the_whole_stdout():
    result = _run("summary", "alexnet", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "alexnet" and data["input_size"] == 224
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"])
    assert data["total_macs"] == sum(layer["macs"] for layer in data["layers"])
    first = data["layers"][0]
    assert first["output_shape"] == [64, 55, 55] and first["kernel"] == "11" and first["stride"] == "4"


def test_variant_and_input_size():
    data = json.loads(_run("summary", "vgg16", "--variant", "vgg11", "--input-size", "64", "--json").stdout)
    assert data["model"] == "vgg11" and data["input_size"] == 64
    assert data["layers"][0]["output_shape"] == [64, 64, 64]


def test_table_output_has_totals():
    result = _run("summary", "squeezenet1_1")
    assert result.returncode == 0
    assert "total parameters 1,235,496" in result.stdout


def test_unknown_name_is_one_line_with_valid_names():
    result = _run("summary", "vgg17", "--json")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "resnet50" in lines[0] and "vgg17" in lines[0]


def test_impossible_input_size_is_an_error_not_a_traceback():
    result = _run("summary", "alexnet", "--input-size", "16", "--json")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr

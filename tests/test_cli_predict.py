"""``python -m cnnviz predict``: JSON with one object per image, bad images as one line on stderr with exit
status 2 while the other images still get their results.

One test runs the real command (its stdout and exit status as a shell sees them); the others call
``cnnviz.cli.main.main`` in this process, the same code without an interpreter start-up each."""

import json
import subprocess
import sys

import pytest
import torch
import torchvision

from cnnviz.cli.main import main
from cnnviz.imagelab.samples import sample_path
from tests.conftest import ROOT

CATS = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}


def _run(*args):
    return subprocess.run([sys.executable, "-m", "cnnviz", "predict", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20)
    return path


@pytest.mark.slow
def test_json_has_one_object_per_good_image_and_bad_ones_go_to_stderr(broken):
    cat, coffee = sample_path("chelsea"), sample_path("coffee")
    result = _run(cat, broken, coffee, "--top", "3", "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)  # the whole of stdout is the JSON
    assert [item["image"] for item in data] == [str(cat), str(coffee)]
    for item in data:
        assert item["model"] == "efficientnet_lite0" and len(item["predictions"]) == 3
        probabilities = [p["probability"] for p in item["predictions"]]
        assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1
    assert CATS & {p["label"] for p in data[0]["predictions"]}
    assert "espresso" in {p["label"] for p in data[1]["predictions"]}
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "broken.jpg" in errors[0] and "Traceback" not in result.stderr


def test_missing_torchvision_weights_name_the_file(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    status = main(["predict", str(sample_path("chelsea")), "--model", "resnet18", "--json"])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "resnet18-f37072fd.pth" in lines[0]
    # torch's own rule for the folder ($TORCH_HOME is set here), as the page shows it: no absolute server path.
    assert "$TORCH_HOME/hub/checkpoints/" in lines[0] and str(tmp_path) not in lines[0]


def test_text_output_and_missing_file(capsys, tmp_path):
    status = main(["predict", str(sample_path("chelsea")), str(tmp_path / "absent.png"), "--top", "2"])
    out, err = capsys.readouterr()
    assert status == 2
    lines = out.strip().splitlines()
    assert lines[0].startswith(str(sample_path("chelsea"))) and len(lines) == 3 and lines[1].strip().endswith(
        tuple(CATS))
    assert err.strip() == f"error: {tmp_path / 'absent.png'}: no such file"


def test_torchvision_model_from_a_cached_checkpoint(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    torch.save(torchvision.models.squeezenet1_1(weights=None).state_dict(),
               tmp_path / "hub" / "checkpoints" / "squeezenet1_1-b8a52dc0.pth")
    assert main(["predict", str(sample_path("coffee")), "--model", "squeezenet1_1", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["model"] == "squeezenet1_1" and len(item["predictions"]) == 5


def test_bad_top_is_a_usage_error(capsys):
    assert main(["predict", str(sample_path("chelsea")), "--top", "0", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "--top" in err


def test_the_fast_engine_runs_where_it_pays_and_prints_nothing_of_its_own(capfd, tmp_path, monkeypatch):
    from cnnviz.cli.commands import predict as command
    from cnnviz.imagelab import onnx_engine

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(command, "FAST_ENGINE_CACHED_FROM", 2)
    monkeypatch.setattr(command, "FAST_ENGINE_FROM", 3)
    built, build = [], onnx_engine.build
    monkeypatch.setattr(onnx_engine, "build", lambda *args, **kwargs: built.append(args[2]) or build(*args, **kwargs))
    two = [str(sample_path("chelsea")), str(sample_path("coffee"))]

    def predict(paths):
        assert main(["predict", *paths, "--json"]) == 0
        out, err = capfd.readouterr()
        assert err == ""  # nothing from the exporter or ONNX Runtime on stderr
        return [[(p["label"], p["probability"]) for p in item["predictions"]] for item in json.loads(out)]

    def assert_same(ours, reference):
        assert [[label for label, _ in item] for item in ours] == [[label for label, _ in item] for item in reference]
        assert [[p for _, p in item] for item in ours] == [pytest.approx([p for _, p in item], abs=1e-4)
                                                           for item in reference]

    eager = predict(two)
    assert built == [], "two photos and nothing cached: the export would not pay"
    assert_same(predict([*two, two[0]]), eager + eager[:1])
    assert built == ["efficientnet_lite0"] and len(list(tmp_path.rglob("*.onnx"))) == 1
    assert_same(predict(two), eager)
    assert built == ["efficientnet_lite0"] * 2, "two photos with the export cached: the engine pays"

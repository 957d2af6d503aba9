"""Predictions on real photos, preprocessing against torchvision's transforms, and torchvision checkpoints
loaded from a temporary TORCH_HOME (written here; nothing is downloaded)."""

import pickle

import numpy as np
import pytest
import torch
import torchvision
from torchvision import transforms

from cnnviz.imagelab import pretrained
from cnnviz.imagelab.predict import Preprocessing, fast_forward, load_classifier, preprocess, top_k
from cnnviz.imagelab.samples import SAMPLES, sample_image

CATS = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def lite0(lite0_classifier):
    return lite0_classifier


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("sample, expected", [
    ("chelsea", CATS),
    ("coffee", {"espresso", "cup", "coffee mug"}),
    ("motorcycle", {"moped", "motor scooter", "crash helmet", "disk brake"}),
    ("rocket", {"missile", "projectile", "space shuttle"}),
])
def test_top5_of_real_photos_is_sensible(lite0, sample, expected):
    top5 = lite0.predict(sample_image(sample), 5)
    labels = [p.label for p in top5]
    assert expected & set(labels[:3]), labels
    probabilities = [p.probability for p in top5]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-9


def test_every_sample_ships_and_decodes():
    for key in SAMPLES:
        image = sample_image(key)
        assert image.mode == "RGB" and min(image.size) >= 256, key


def test_top_k_is_the_softmax_by_hand():
    logits = torch.tensor([1.0, 3.0, -2.0, 0.5])
    exps = np.exp([1.0, 3.0, -2.0, 0.5])
    expected = exps / exps.sum()
    top = top_k(logits, ("a", "b", "c", "d"), 3)
    assert [p.label for p in top] == ["b", "a", "d"]
    assert [p.probability for p in top] == pytest.approx([expected[1], expected[0], expected[3]], rel=1e-12)


def test_preprocessing_matches_torchvision_resize_and_crop():
    photo = sample_image("astronaut").resize((640, 427))
    spec = Preprocessing(256, 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    reference = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                    transforms.Normalize(spec.mean, spec.std)])(photo).unsqueeze(0)
    ours = preprocess(photo, spec)
    assert ours.shape == reference.shape == (1, 3, 224, 224)
    difference = (ours - reference).abs()
    # One resample of the crop box instead of resize-then-crop: the same pixels, at most one grey level apart
    # (1/255 / 0.229 = 0.017 after normalisation).
    assert difference.mean() < 1e-3 and difference.max() < 0.02


def test_torchscript_copy_gives_the_eager_logits(lite0):
    """The engine where onnxruntime is missing (tests/test_predict_engine.py tests ONNX Runtime's)."""
    frozen = fast_forward(lite0.model, lite0.preprocessing.crop)
    assert isinstance(frozen, torch.jit.ScriptModule), "the frozen copy was not built"
    batch = preprocess(sample_image("coffee"), lite0.preprocessing)
    with torch.inference_mode():
        assert torch.allclose(frozen(batch), lite0.model(batch), atol=1e-4)


def test_fast_engine_is_built_once_on_the_first_prediction(monkeypatch):
    import threading

    from cnnviz.imagelab import predict

    built = []

    def counting(model, crop, name):
        built.append((crop, name))
        return model

    monkeypatch.setattr(predict, "fast_engine", counting)
    classifier = load_classifier("efficientnet_lite0")
    assert built == [], "looking inside a classifier must not pay for the engine"
    photo, start = sample_image("coffee"), threading.Barrier(4)

    def user():
        start.wait()
        classifier.predict(photo)

    threads = [threading.Thread(target=user) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == [(224, "efficientnet_lite0")] and classifier.forward is classifier.model


def test_missing_torchvision_weights_say_which_file_goes_where(torch_home):
    assert pretrained.cached_weights("resnet18") is None and not pretrained.has_pretrained("resnet18")
    with pytest.raises(pretrained.WeightsUnavailable) as caught:
        load_classifier("resnet18")
    message = str(caught.value)
    assert "resnet18-f37072fd.pth" in message and "\n" not in message
    # Where it goes, by torch's rule ($TORCH_HOME is set by the fixture), not as the server's absolute path.
    assert "$TORCH_HOME/hub/checkpoints/" in message and str(torch_home) not in message


def test_the_cache_folder_is_named_by_torch_s_rule(monkeypatch):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/srv/cache")
    assert pretrained.shown_checkpoints_dir() == "$XDG_CACHE_HOME/torch/hub/checkpoints"
    assert str(pretrained.checkpoints_dir()) == "/srv/cache/torch/hub/checkpoints"  # torch agrees with the rule
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert pretrained.shown_checkpoints_dir() == "~/.cache/torch/hub/checkpoints"


def test_torchvision_checkpoint_from_the_torch_cache(torch_home):
    torch.manual_seed(1)
    saved = torchvision.models.squeezenet1_1(weights=None).state_dict()
    torch.save(saved, torch_home / "squeezenet1_1-b8a52dc0.pth")  # the file name of torchvision's URL
    model, weights = pretrained.torchvision_pretrained("squeezenet1_1")
    loaded = model.state_dict()
    assert weights.name == "IMAGENET1K_V1" and loaded.keys() == saved.keys()
    assert all(torch.equal(loaded[key], saved[key]) for key in saved)
    classifier = load_classifier("squeezenet1_1", fast=False)
    spec = classifier.preprocessing
    assert (spec.resize, spec.crop, spec.mean) == (256, 224, (0.485, 0.456, 0.406))
    assert len(classifier.predict(sample_image("chelsea"), 5)) == 5


def test_old_densenet_key_names_are_renamed(torch_home):
    saved = torchvision.models.densenet121(weights=None).state_dict()
    # The published file spells "norm1" as "norm.1" (and so on) and predates num_batches_tracked.
    old = {key.replace("norm1", "norm.1").replace("conv1", "conv.1").replace("norm2", "norm.2")
           .replace("conv2", "conv.2") if "denselayer" in key else key: value for key, value in saved.items()
           if not key.endswith("num_batches_tracked")}
    assert old.keys() != saved.keys()
    torch.save(old, torch_home / "densenet121-a639ec97.pth")
    model, _ = pretrained.torchvision_pretrained("densenet121")
    assert all(torch.equal(model.state_dict()[key], saved[key]) for key in saved if "num_batches" not in key)


class _NotWeights:
    def __reduce__(self):
        return (print, ("this would run at load time",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_checkpoints_load_with_weights_only(torch_home):
    with open(torch_home / "squeezenet1_1-b8a52dc0.pth", "wb") as out:
        pickle.dump({"features.0.weight": _NotWeights()}, out)
    with pytest.raises(pretrained.WeightsUnavailable, match="not a valid checkpoint"):
        pretrained.torchvision_pretrained("squeezenet1_1")


class _FakeWeights:
    """Stands in for a torchvision weights entry whose URL points at a local test server."""

    def __init__(self, url):
        self.url, self.meta = url, {"categories": ["x"] * 1000, "_file_size": 0.001}


@pytest.fixture
def local_server(tmp_path):
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_with_progress_and_hash_check(torch_home, local_server, monkeypatch):
    import hashlib

    served, base = local_server
    payload = bytes(range(256)) * 20_000  # 5 MB: several progress steps
    good = f"squeezenet1_1-{hashlib.sha256(payload).hexdigest()[:8]}.pth"
    (served / good).write_bytes(payload)
    (served / "squeezenet1_1-00000000.pth").write_bytes(payload)  # a name whose hash prefix does not match
    steps = []

    monkeypatch.setattr(pretrained, "weights_choices", lambda name: [_FakeWeights(f"{base}/{good}")])
    pretrained.download_weights("squeezenet1_1", lambda done, total: steps.append((done, total)))
    assert (torch_home / good).read_bytes() == payload
    assert steps[-1] == (len(payload), len(payload)) and len(steps) >= 5
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)

    wrong = _FakeWeights(f"{base}/squeezenet1_1-00000000.pth")
    monkeypatch.setattr(pretrained, "weights_choices", lambda name: [wrong])
    with pytest.raises(pretrained.WeightsUnavailable, match="hash"):
        pretrained.download_weights("squeezenet1_1")
    assert sorted(p.name for p in torch_home.iterdir()) == [good]  # nothing half-written is left behind

    monkeypatch.setattr(pretrained, "weights_choices", lambda name: [_FakeWeights(f"{base}/missing-12345678.pth")])
    with pytest.raises(pretrained.WeightsUnavailable, match="Could not download missing-12345678.pth"):
        pretrained.download_weights("squeezenet1_1")

"""The ONNX Runtime engine for plain predictions: the eager model's logits and top-5 on real photos, its disk
cache (checked, never trusted), the torch fallback when onnxruntime is missing or the export fails, and one
session shared by many threads. Every test keeps its cache in a temporary folder."""

import sys
import threading

import pytest
import torch

from cnnviz.imagelab import onnx_engine
from cnnviz.imagelab.onnx_engine import OnnxEngine
from cnnviz.imagelab.predict import Classifier, load_classifier, preprocess
from cnnviz.imagelab.samples import sample_image

PHOTOS = ("chelsea", "coffee", "motorcycle", "rocket", "astronaut")
ATOL = 1e-3  # float32 kernels differ between CPUs (and between ORT and torch) far below this


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache folder for the module (one export), in place of ~/.cache."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder / "cnnviz"


@pytest.fixture(scope="module")
def eager(lite0_classifier):
    return lite0_classifier


@pytest.fixture(scope="module")
def engine(cache, eager):
    built = onnx_engine.build(eager.model, 224, "efficientnet_lite0", threads=1)
    assert isinstance(built, OnnxEngine), "onnxruntime is installed: the engine must build"
    return built


def _batches(eager: Classifier):
    return {key: preprocess(sample_image(key), eager.preprocessing) for key in PHOTOS}


def _assert_same_ranking(ours: torch.Tensor, reference: torch.Tensor, k: int = 5) -> None:
    """The same top-k, in the same order wherever the reference's neighbours are far enough apart that
    rounding cannot swap them."""
    values, indices = reference.topk(k + 1)
    ours_indices = ours.topk(k).indices.tolist()
    assert set(ours_indices) == set(indices[:k].tolist()) or values[k - 1] - values[k] < 4 * ATOL
    for place in range(k):
        clear_above = place == 0 or values[place - 1] - values[place] > 4 * ATOL
        clear_below = values[place] - values[place + 1] > 4 * ATOL
        if clear_above and clear_below:
            assert ours_indices[place] == indices[place], (place, ours_indices, indices.tolist())


def test_engine_gives_the_eager_logits_and_top5_on_photos(engine, eager):
    for key, batch in _batches(eager).items():
        with torch.inference_mode():
            reference = eager.model(batch)[0]
        ours = engine(batch)[0]
        assert ours.dtype == torch.float32 and ours.shape == (1000,)
        assert torch.allclose(ours, reference, atol=ATOL, rtol=ATOL), (key, (ours - reference).abs().max())
        _assert_same_ranking(ours, reference)


def test_classifier_predicts_through_the_engine(cache, engine, eager):
    fast = load_classifier("efficientnet_lite0")
    assert isinstance(fast.forward, OnnxEngine)
    for key in PHOTOS:
        photo = sample_image(key)
        _assert_same_ranking(fast.logits(photo), eager.logits(photo))
        assert [p.label for p in fast.predict(photo, 1)] == [p.label for p in eager.predict(photo, 1)]


def test_the_export_is_cached_on_disk_and_reused(cache, engine, eager, monkeypatch):
    files = list(cache.glob("efficientnet_lite0-224-*.onnx"))
    assert len(files) == 1 and files[0].stem.endswith(onnx_engine.weights_digest(eager.model, 224))

    def no_export(model, crop):
        raise AssertionError("the cached file should have been used")

    monkeypatch.setattr(onnx_engine, "export", no_export)
    assert isinstance(onnx_engine.build(eager.model, 224, "efficientnet_lite0", threads=1), OnnxEngine)


def test_a_cached_file_that_gives_other_logits_is_replaced(tmp_path, monkeypatch, eager):
    """Another model's export under this model's name (a damaged or stale cache) is caught by the check."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    impostor = torch.nn.Sequential(torch.nn.Conv2d(3, 1000, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    path = onnx_engine.cache_folder() / f"efficientnet_lite0-224-{onnx_engine.weights_digest(eager.model, 224)}.onnx"
    path.parent.mkdir(parents=True)
    path.write_bytes(onnx_engine.export(impostor.eval(), 224))
    stale = path.with_name("efficientnet_lite0-224-0123456789abcdef0123.onnx")  # earlier weights
    stale.write_bytes(b"old")
    engine = onnx_engine.build(eager.model, 224, "efficientnet_lite0", threads=1)
    assert isinstance(engine, OnnxEngine)
    batch = _batches(eager)["coffee"]
    with torch.inference_mode():
        assert torch.allclose(engine(batch), eager.model(batch), atol=ATOL, rtol=ATOL)
    assert path.read_bytes() != onnx_engine.export(impostor.eval(), 224), "the good export replaces the bad one"
    assert not stale.exists() and sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_weights_name_the_cached_file():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    before = onnx_engine.weights_digest(model, 224)
    assert onnx_engine.weights_digest(model, 224) == before and onnx_engine.weights_digest(model, 192) != before
    with torch.no_grad():
        model[1].running_mean[2] += 1e-6  # a buffer, not a parameter, still changes the logits
    assert onnx_engine.weights_digest(model, 224) != before


def test_an_unwritable_cache_still_gives_an_engine(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                torch.nn.Flatten()).eval()
    engine = onnx_engine.build(model, 32, "tiny", threads=1)
    assert isinstance(engine, OnnxEngine) and blocker.is_file()
    batch = torch.rand(2, 3, 32, 32)  # any batch size
    with torch.inference_mode():
        assert torch.allclose(engine(batch), model(batch), atol=1e-5)


def test_without_onnxruntime_predictions_fall_back_to_torch(tmp_path, monkeypatch, capfd, eager):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # ``import onnxruntime`` now raises ImportError
    assert onnx_engine.build(eager.model, 224, "efficientnet_lite0", threads=1) is None
    classifier = load_classifier("efficientnet_lite0")
    photo = sample_image("chelsea")
    predictions = classifier.predict(photo)
    assert not isinstance(classifier.forward, OnnxEngine) and classifier.forward is not classifier.model
    assert isinstance(classifier.forward, torch.jit.ScriptModule), "the TorchScript copy is the next best"
    _assert_same_ranking(classifier.logits(photo), eager.logits(photo))
    assert predictions[0].label == eager.predict(photo, 1)[0].label
    assert capfd.readouterr() == ("", ""), "a fallback says nothing to the user"
    assert not list(tmp_path.rglob("*.onnx"))


def test_a_failing_export_falls_back_silently(tmp_path, monkeypatch, capfd, eager):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def broken(model, crop):
        raise RuntimeError("an operator ONNX cannot express")

    monkeypatch.setattr(onnx_engine, "export", broken)
    assert onnx_engine.build(eager.model, 224, "efficientnet_lite0", threads=1) is None
    monkeypatch.setattr(onnx_engine, "export", lambda model, crop: b"not an onnx model")
    assert onnx_engine.build(eager.model, 224, "efficientnet_lite0", threads=1) is None
    assert capfd.readouterr() == ("", "") and not list(tmp_path.rglob("*.onnx"))


def test_one_session_serves_many_threads_at_once(cache, eager):
    """Eight threads run the same two-thread session at the same moment: every answer is the serial one."""
    engine = onnx_engine.build(eager.model, 224, "efficientnet_lite0", threads=2)
    assert isinstance(engine, OnnxEngine)
    batches = list(_batches(eager).values())
    serial = [engine(batch) for batch in batches]
    start, results, failures = threading.Barrier(8), {}, []

    def user(number: int) -> None:
        try:
            start.wait()
            for round_ in range(3):
                order = batches[number % len(batches):] + batches[:number % len(batches)]
                results[number, round_] = [engine(batch) for batch in order]
        except Exception as error:  # noqa: BLE001 — reported below
            failures.append(error)

    threads = [threading.Thread(target=user, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and len(results) == 24
    for (number, _), answers in results.items():
        shift = number % len(batches)
        expected = serial[shift:] + serial[:shift]
        for got, want in zip(answers, expected, strict=True):
            assert torch.allclose(got, want, atol=1e-5, rtol=1e-5)
            assert got.topk(5).indices.tolist() == want.topk(5).indices.tolist()


def test_threads_predicting_at_once_get_the_serial_answers(cache, engine):
    """Six users at once on a classifier nobody has used yet: the engine is built once, under its lock, and
    every user gets what a lone user gets."""
    classifier = load_classifier("efficientnet_lite0")
    photos = [sample_image(key) for key in PHOTOS]
    start, answers = threading.Barrier(6), {}

    def user(number: int) -> None:
        start.wait()
        answers[number] = [classifier.predict(photo) for photo in photos]

    threads = [threading.Thread(target=user, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(classifier.forward, OnnxEngine)
    serial = [classifier.predict(photo) for photo in photos]
    assert sorted(answers) == list(range(6))
    for got in answers.values():
        for predictions, expected in zip(got, serial, strict=True):
            assert [p.label for p in predictions] == [p.label for p in expected]
            assert [p.probability for p in predictions] == pytest.approx([p.probability for p in expected],
                                                                          abs=1e-6)


def test_models_too_large_to_copy_stay_eager(monkeypatch, eager):
    """AlexNet and VGG would double their memory for little speed: no engine, not even an attempt."""
    from cnnviz.imagelab import predict

    def no_build(*args, **kwargs):
        raise AssertionError("no engine for a model this large")

    monkeypatch.setattr(onnx_engine, "build", no_build)
    monkeypatch.setattr(predict, "LARGEST_COPIED", sum(p.numel() for p in eager.model.parameters()) - 1)
    assert predict.fast_engine(eager.model, 224, "efficientnet_lite0") is eager.model

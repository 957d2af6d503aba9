"""Per-photo prediction time for a 12-megapixel JPEG: cnnviz's pipeline against a reference pipeline.

Reference: Pillow draft-mode decoding + the same resize/crop/normalisation in NumPy + ONNX Runtime running
the same EfficientNet-Lite0 weights (exported here with torch.onnx). Ours: the app's own path,
``cnnviz.imagelab.images.decode_image`` + ``Classifier.predict`` (its fast engine: ONNX Runtime where installed).
Both run in this process, interleaved, so both see the same machine load; medians and best times are printed
(the best is the least disturbed by other work on the machine).

Then: is eager PyTorch (feature maps, Grad-CAM) slowed down by ONNX Runtime living in the same process? The eager
model's forward pass is timed right after a torch-only call and right after an ONNX Runtime call, interleaved.
Needs ``pip install -r bench/requirements.txt``.

    python bench/predict.py [--repeats 30] [--threads N]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from cnnviz.imagelab.images import decode_image  # noqa: E402
from cnnviz.imagelab.onnx_engine import OnnxEngine  # noqa: E402
from cnnviz.imagelab.predict import Classifier, load_classifier, preprocess  # noqa: E402
from cnnviz.imagelab.samples import sample_image  # noqa: E402
from cnnviz.imagelab.serving import configure_torch_threads  # noqa: E402

PHOTO_SIZE = (4000, 3000)


def twelve_megapixel_jpeg() -> bytes:
    """A real photo (scikit-image's cat) upscaled to 4000x3000 and saved as a camera-quality JPEG."""
    photo = sample_image("chelsea").resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def reference_session(classifier: Classifier, folder: Path, threads: int):
    import onnxruntime

    crop = classifier.preprocessing.crop
    path = folder / "efficientnet_lite0.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(classifier.model, (torch.zeros(1, 3, crop, crop),), str(path), input_names=["input"],
                          output_names=["logits"], dynamo=False)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    # No busy-waiting between runs: a spinning pool would steal the CPU from the PyTorch runs interleaved here.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def reference_predict(data: bytes, session, classifier: Classifier, k: int = 5) -> list[int]:
    spec = classifier.preprocessing
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (spec.resize, spec.resize))
    image = image.convert("RGB")
    width, height = image.size
    scale = spec.resize / min(width, height)
    image = image.resize((round(width * scale), round(height * scale)), spec.resample)
    left, top = (image.width - spec.crop) // 2, (image.height - spec.crop) // 2
    image = image.crop((left, top, left + spec.crop, top + spec.crop))
    pixels = (np.asarray(image, dtype=np.float32) / 255 - np.float32(spec.mean)) / np.float32(spec.std)
    logits = session.run(None, {"input": pixels.transpose(2, 0, 1)[None]})[0][0]
    return [int(i) for i in np.argsort(-logits)[:k]]


def ours_predict(data: bytes, classifier: Classifier, k: int = 5) -> list[int]:
    image = decode_image(data, shortest_side=classifier.preprocessing.resize)
    return [p.index for p in classifier.predict(image, k)]


def engine_name(classifier: Classifier) -> str:
    forward = classifier.forward
    if isinstance(forward, OnnxEngine):
        return "ONNX Runtime"
    return "PyTorch eager" if forward is classifier.model else "TorchScript"


def timed(call: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started
    return run


def eager_after(before: Callable[[], object], classifier: Classifier, batch: torch.Tensor) -> Callable[[], float]:
    """Runs ``before``, then times one eager forward pass."""
    def run() -> float:
        before()
        with torch.inference_mode():
            started = time.perf_counter()
            classifier.model(batch)
            return time.perf_counter() - started
    return run


def interleaved(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """The seconds each run reports, the runs taking turns, after three warm-up rounds."""
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(3 + repeats):
        for name, run in runs.items():
            seconds = run()
            if round_ >= 3:
                timings[name].append(seconds)
    return timings


def milliseconds(timings: dict[str, list[float]]) -> tuple[dict[str, float], dict[str, float]]:
    """(medians, bests) in milliseconds."""
    return ({n: statistics.median(t) * 1000 for n, t in timings.items()},
            {n: min(t) * 1000 for n, t in timings.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int,
                        help="threads for both PyTorch and ONNX Runtime (default: what the app gives each worker)")
    args = parser.parse_args()
    # As the app does: each inference worker's share of the cores (N threads: as many workers as give N each).
    workers = None if args.threads is None else max(1, (os.cpu_count() or 1) // args.threads)
    args.threads = configure_torch_threads(workers)
    data = twelve_megapixel_jpeg()
    classifier = load_classifier("efficientnet_lite0")
    started = time.perf_counter()
    engine = engine_name(classifier)  # builds the engine (from the on-disk cache after the first run)
    build_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        session = reference_session(classifier, Path(folder), args.threads)
    ours_top, reference_top = ours_predict(data, classifier), reference_predict(data, session, classifier)
    median, best = milliseconds(interleaved({"ours": timed(lambda: ours_predict(data, classifier)),
                                             "reference": timed(lambda: reference_predict(data, session, classifier))},
                                            args.repeats))
    print(f"photo: {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG, {len(data) / 2**20:.2f} MiB; model: EfficientNet-Lite0; "
          f"threads: {args.threads} (of {os.cpu_count()} cores); {args.repeats} interleaved runs each")
    print(f"ours runs on: {engine} (engine ready in {build_s:.2f} s)")
    print(f"{'ms per photo':52s} {'median':>8s} {'best':>8s}")
    print(f"{f'ours (cnnviz decode + preprocess + {engine})':52s} {median['ours']:8.1f} {best['ours']:8.1f}")
    print(f"{'reference (Pillow draft + NumPy + ONNX Runtime)':52s} {median['reference']:8.1f} "
          f"{best['reference']:8.1f}")
    print(f"{'ratio ours / reference (goal: at most 1.10)':52s} {median['ours'] / median['reference']:8.2f} "
          f"{best['ours'] / best['reference']:8.2f}")
    print(f"same top-5 classes: {ours_top == reference_top} "
          f"(ours {ours_top}, reference {reference_top})")
    print_eager_beside_onnx(classifier, session, args.repeats)


def print_eager_beside_onnx(classifier: Classifier, session, repeats: int) -> None:
    """Eager PyTorch right after a torch call against right after an ONNX Runtime call: do ORT's threads slow
    torch down (spinning, or fighting for the cores)?"""
    batch = preprocess(sample_image("chelsea"), classifier.preprocessing)
    pixels = batch.contiguous().numpy()
    forward = classifier.forward
    run_onnx = (lambda: forward(batch)) if isinstance(forward, OnnxEngine) else (
        lambda: session.run(None, {"input": pixels}))

    def run_torch():
        with torch.inference_mode():
            classifier.model(batch)

    median, best = milliseconds(interleaved({"after torch": eager_after(run_torch, classifier, batch),
                                             "after ORT": eager_after(run_onnx, classifier, batch)}, repeats))
    print(f"{'ms per eager PyTorch forward (224x224, batch 1)':52s} {'median':>8s} {'best':>8s}")
    print(f"{'right after an ONNX Runtime run':52s} {median['after ORT']:8.1f} {best['after ORT']:8.1f}")
    print(f"{'right after an eager PyTorch run (reference)':52s} {median['after torch']:8.1f} "
          f"{best['after torch']:8.1f}")
    print(f"{'ratio after ORT / after torch (goal: about 1.00)':52s} "
          f"{median['after ORT'] / median['after torch']:8.2f} {best['after ORT'] / best['after torch']:8.2f}")


if __name__ == "__main__":
    main()

"""Per-photo prediction time for a 12-megapixel JPEG: cnnviz's pipeline against a reference pipeline.

Reference: Pillow draft-mode decoding + the same resize/crop/normalisation in NumPy + ONNX Runtime running
the same EfficientNet-Lite0 weights (exported here with torch.onnx). Ours: ``cnnviz.imagelab.images.decode_image``
+ ``cnnviz.imagelab.predict`` (PyTorch). Both run in this process, interleaved, so both see the same machine load;
medians and best times are printed (the best is the least disturbed by other work on the machine).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from cnnviz.imagelab.images import decode_image  # noqa: E402
from cnnviz.imagelab.predict import Classifier, load_classifier  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int,
                        help="threads for both PyTorch and ONNX Runtime (default: what the app gives each worker)")
    args = parser.parse_args()
    args.threads = configure_torch_threads() if args.threads is None else args.threads  # as the app does
    torch.set_num_threads(args.threads)
    data = twelve_megapixel_jpeg()
    classifier = load_classifier("efficientnet_lite0")
    with tempfile.TemporaryDirectory() as folder:
        session = reference_session(classifier, Path(folder), args.threads)
    ours_top, reference_top = ours_predict(data, classifier), reference_predict(data, session, classifier)
    timings: dict[str, list[float]] = {"ours": [], "reference": []}
    for _ in range(3):  # warm-up
        ours_predict(data, classifier), reference_predict(data, session, classifier)
    for _ in range(args.repeats):
        for name, run in (("ours", lambda: ours_predict(data, classifier)),
                          ("reference", lambda: reference_predict(data, session, classifier))):
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
    median = {n: statistics.median(t) * 1000 for n, t in timings.items()}
    best = {n: min(t) * 1000 for n, t in timings.items()}
    print(f"photo: {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG, {len(data) / 2**20:.2f} MiB; model: EfficientNet-Lite0; "
          f"threads: {args.threads} (of {os.cpu_count()} cores); {args.repeats} interleaved runs each")
    print(f"{'ms per photo':52s} {'median':>8s} {'best':>8s}")
    print(f"{'ours (cnnviz decode + preprocess + PyTorch)':52s} {median['ours']:8.1f} {best['ours']:8.1f}")
    print(f"{'reference (Pillow draft + NumPy + ONNX Runtime)':52s} {median['reference']:8.1f} "
          f"{best['reference']:8.1f}")
    print(f"{'ratio ours / reference (goal: at most 1.50)':52s} {median['ours'] / median['reference']:8.2f} "
          f"{best['ours'] / best['reference']:8.2f}")
    print(f"same top-5 classes: {ours_top == reference_top} "
          f"(ours {ours_top}, reference {reference_top})")


if __name__ == "__main__":
    main()

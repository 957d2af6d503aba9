"""Hostile uploads against the app: each crafted file of the security review (``tests/hostile_files.py``), beside
a normal photo and a normal ResNet-18 ONNX file.

For each file: the outcome (the one line its student reads, or what the app made of it), the seconds and the peak
memory its limited worker added above its start (``cnnviz.sandbox.measure``). Then every file is uploaded again
through the pages themselves (Streamlit's AppTest runs them in this process, as the server would), and the
process's own peak resident memory is the app's peak during the bench (goal: under 1.5 GB).

    python bench/hostile.py
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APP_GOAL_MB = 1536


def onnx_cases() -> dict[str, bytes]:
    import torchvision

    from tests import hostile_files as hostile
    from tests.any_network_files import exported

    return {
        "normal: ResNet-18 (224 px)": exported(torchvision.models.resnet18()),
        "external data in a function's Constant (app.py)": hostile.external_in_function("app.py", 3),
        "external data in sparse indices": hostile.external_in_sparse_indices(),
        "external data in a TENSORS attribute": hostile.external_in_tensors_attribute(),
        "external data in a function's If branch": hostile.external_in_function_subgraph(),
        "external data in a training graph": hostile.external_in_training_info(),
        "Resize by 1e6 (300 bytes)": hostile.resize_by(1e6),
        "Resize by 0": hostile.resize_by(0),
        "ConvTranspose output_padding 2^40": hostile.transposed_output_padding(2**40),
        "5 million empty nodes (10 MB)": hostile.empty_nodes(5_000_000),
        "20 million empty nodes (40 MB)": hostile.empty_nodes(20_000_000),
    }


def photo_cases() -> dict[str, bytes]:
    import io

    from PIL import Image

    from cnnviz.imagelab.samples import SAMPLES, sample_bytes
    from tests import hostile_files as hostile

    phone = io.BytesIO()
    Image.open(io.BytesIO(sample_bytes(next(iter(SAMPLES))))).convert("RGB").resize((4000, 3000)).save(
        phone, "JPEG", quality=90)
    return {
        "normal: a 12 MP JPEG": phone.getvalue(),
        "16-bit grey PNG, 9400x9400": hostile.grey16_png(9400),
        "RGBA PNG, 9400x9400": hostile.rgba_png(9400),
        "transparent GIF, 9400x9400": hostile.gif_bomb(9400),
        "transparent WebP, 9400x9400": hostile.webp_bomb(9400),
        "progressive JPEG, 20,000 empty scans": hostile.many_scans(20_000),
    }


def outcome_text(outcome) -> str:
    if outcome.error is not None:
        return f"refused: {outcome.error}"
    value = outcome.value
    if hasattr(value, "summary"):
        return f"analysed: {len(value.summary.layers)} layers, {value.summary.total_params:,} parameters"
    return f"decoded: {value.size[0]}x{value.size[1]} {value.mode}"


def worker_table(cases: dict[str, bytes], job: str, limits, **options) -> None:
    from cnnviz import sandbox

    print(f"{'file':<48} {'bytes':>10} {'seconds':>8} {'worker +MB':>10}  outcome")
    for name, data in cases.items():
        outcome = sandbox.measure(job, data, limits, **options)
        print(f"{name:<48} {len(data):>10,} {outcome.seconds:>8.2f} {outcome.added_mb:>10.0f}  "
              f"{outcome_text(outcome)[:110]}")


def through_pages(folder: Path) -> None:
    """Every file of ``folder`` uploaded on its page, in this process: what the page shows (its first error line,
    if any). This process does nothing else, so its peak memory is the app's."""
    from streamlit.testing.v1 import AppTest

    def read(kind: str) -> dict[str, bytes]:
        files = sorted((folder / kind).iterdir())
        return {path.name.split("-", 1)[1]: path.read_bytes() for path in files}

    onnx, photos = read("onnx"), read("photos")
    print(f"  (before the pages: {_peak_mb():.0f} MB)")

    your_network = AppTest.from_file(str(ROOT / "pages" / "your-network.py"), default_timeout=300)
    your_network.query_params["source"] = "onnx"
    your_network.run()
    for name, data in onnx.items():
        started = time.monotonic()
        your_network.file_uploader[0].upload(f"{name}.onnx", data).run()
        errors = [e.value for e in your_network.error]
        shown = errors[0] if errors else f"{len(your_network.get('metric'))} totals drawn"
        print(f"  your-network  {time.monotonic() - started:6.2f} s  {_peak_mb():6.0f} MB  {name:<48} {shown[:80]}")
    predictions = AppTest.from_file(str(ROOT / "pages" / "image-predictions.py"), default_timeout=300)
    predictions.run()
    predictions.radio(key="image_predict_photo_source").set_value("upload").run()
    for name, data in photos.items():
        started = time.monotonic()
        predictions.file_uploader(key="image_predict_photo_upload").set_value((f"{name}.bin", data, "")).run()
        errors = [e.value for e in predictions.error]
        shown = errors[0] if errors else "top-5 drawn"
        print(f"  photo upload  {time.monotonic() - started:6.2f} s  {_peak_mb():6.0f} MB  {name:<48} {shown[:80]}")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-pages", action="store_true", help="only the workers' table")
    parser.add_argument("--pages", type=Path, help=argparse.SUPPRESS)  # the app's part, in a process of its own
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.pages:
        through_pages(args.pages)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\napp process peak resident memory: {peak:.0f} MB (goal: under {APP_GOAL_MB} MB: "
              f"{'met' if peak < APP_GOAL_MB else 'NOT MET'})")
        return
    from cnnviz import sandbox, uploads

    sandbox.start()
    onnx, photos = onnx_cases(), photo_cases()
    print("ONNX files, each in a limited worker "
          f"({uploads.ONNX_LIMITS.memory_mb} MB, {uploads.ONNX_LIMITS.cpu_s} s CPU):")
    worker_table(onnx, "analyse_onnx", uploads.ONNX_LIMITS, name="upload.onnx", input_size=None)
    print(f"\nPhotos, each in a limited worker ({uploads.PHOTO_LIMITS.memory_mb} MB, "
          f"{uploads.PHOTO_LIMITS.cpu_s} s CPU), stored at 1000 px:")
    worker_table(photos, "photo", uploads.PHOTO_LIMITS, shortest_side=None, longest_side=1000)
    if not args.no_pages:
        import subprocess
        import tempfile

        print("\nThe same files through the pages (a process of its own plays the app's server):", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            for kind, cases in (("onnx", onnx), ("photos", photos)):
                (Path(folder) / kind).mkdir()
                for index, (name, data) in enumerate(cases.items()):
                    (Path(folder) / kind / f"{index:02d}-{name.replace('/', '-')}").write_bytes(data)
            del onnx, photos
            subprocess.run([sys.executable, __file__, "--pages", folder], check=True)


if __name__ == "__main__":
    main()

"""Plain predictions through ONNX Runtime: the eager model exported to ONNX, checked against itself, then shared.

At batch size 1 on one core, ONNX Runtime runs EfficientNet-Lite0 in about half the time of our TorchScript copy
(13 ms against 26 ms; eager PyTorch takes 55 ms). Feature maps and Grad-CAM still use the eager module; only
top-k predictions come here.

The export (``torch.onnx.export``, about 2 s for EfficientNet-Lite0 in a fresh process) is kept on disk, in
``$XDG_CACHE_HOME/cnnviz`` (``~/.cache/cnnviz``), under a digest of the weights, the architecture and the torch
version: the command line and every restart of the app then pay about 0.2 s (read, load, check) instead of the
export. The file is never trusted blindly: every engine, cached or fresh, must give the eager model's logits on
a test input before it is used. Where the folder cannot be written the engine is built in memory each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

OPSET = 17  # run by every onnxruntime since 1.13
INPUT, OUTPUT = "input", "logits"


class OnnxEngine:
    """Called like the model: a (batch, 3, crop, crop) float tensor in, the logits out.
    One session serves every thread: ``InferenceSession.run`` is thread-safe."""

    def __init__(self, session) -> None:
        self.session = session

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        pixels = np.ascontiguousarray(batch.detach().numpy(), dtype=np.float32)  # NCHW, as exported
        return torch.from_numpy(self.session.run([OUTPUT], {INPUT: pixels})[0])


def build(model: nn.Module, crop: int, label: str, threads: int | None = None,
          tolerance: float = 1e-3) -> OnnxEngine | None:
    """An engine for ``model`` at ``crop`` x ``crop``, or None when onnxruntime is missing, the export fails
    or the engine's logits differ from the eager model's (the caller then uses a torch path, silently)."""
    try:
        import onnxruntime
    except ImportError:
        return None
    if threads is None:
        from cnnviz.imagelab.serving import configure_torch_threads

        threads = configure_torch_threads()  # the share of the cores each inference worker gets
    try:
        example = torch.randn(1, 3, crop, crop, generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            reference = model(example).float()

        def checked(data: bytes) -> OnnxEngine | None:
            engine = OnnxEngine(_session(onnxruntime, data, threads))
            return engine if torch.allclose(engine(example), reference, atol=tolerance, rtol=tolerance) else None

        path = cache_path(model, crop, label)
        cached = _read(path)
        engine = checked(cached) if cached is not None else None
        if engine is None:  # nothing cached, or a file that is damaged or stale: export afresh
            data = export(model, crop)
            engine = checked(data)
            if engine is not None:
                _store(path, data)
        return engine
    except Exception:  # noqa: BLE001 — an optimisation only: any failure leaves the torch path in charge
        return None


def export(model: nn.Module, crop: int) -> bytes:
    """The model as ONNX bytes, exported in memory with the TorchScript-based exporter (no onnxscript needed)."""
    buffer = io.BytesIO()
    example = torch.zeros(1, 3, crop, crop)
    # Tracing needs autograd's bookkeeping, so leave any inference mode the caller is in.
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings: the check against the eager model is what counts
        torch.onnx.export(model, (example,), buffer, input_names=[INPUT], output_names=[OUTPUT],
                          dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}}, opset_version=OPSET,
                          dynamo=False)
    return buffer.getvalue()


def _session(onnxruntime, data: bytes, threads: int):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1  # one operator at a time; parallelism comes from the intra-op threads
    # Idle pool threads sleep instead of spinning: a spinning pool would steal the CPU from torch in this process.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: nothing of ORT's on stderr (the CLI's --json output)
    return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def available() -> bool:
    try:
        return importlib.util.find_spec("onnxruntime") is not None
    except (ImportError, ValueError):  # ValueError: a module entry without a spec (removed by a test)
        return False


def is_cached(model: nn.Module, crop: int, label: str) -> bool:
    """Whether ``build`` would find an export on disk (it is checked when it is loaded)."""
    return available() and cache_path(model, crop, label).is_file()


def cache_path(model: nn.Module, crop: int, label: str) -> Path:
    return cache_folder() / f"{label}-{crop}-{weights_digest(model, crop)}.onnx"


def weights_digest(model: nn.Module, crop: int) -> str:
    """Names the exported file: the architecture, every parameter and buffer, the input size and the exporter."""
    digest = hashlib.sha256(f"{type(model).__module__}.{type(model).__qualname__} {crop} "
                            f"torch {torch.__version__} opset {OPSET}".encode())
    for name, tensor in model.state_dict().items():
        digest.update(f"{name} {tensor.dtype} {tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()[:20]


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "cnnviz"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _store(path: Path, data: bytes) -> None:
    """Write atomically (another process may be reading), then drop this model's files for other weights.
    A folder that cannot be written costs only the export at the next start."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return
    label_and_crop = path.name[:path.name.rindex("-") + 1]
    for old in path.parent.glob(f"{label_and_crop}*.onnx"):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()

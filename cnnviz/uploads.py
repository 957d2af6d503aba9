"""Users' files, read where they cannot hurt the server: each job runs in a limited worker (``cnnviz.sandbox``),
through a bounded queue when the caller gives one (the app's: at most two workers at once, a fair share each).
Whatever a file does, its user gets one line: the file's own error (``NetworkError``, ``ImageError``), or that it
needs more memory or time than a worker has, or that it stopped the worker.
"""

from __future__ import annotations

from cnnviz.any_network import Network, NetworkError
from cnnviz.any_network.onnx_file import OnnxFile
from cnnviz.i18n import N_
from cnnviz.imagelab.images import ImageError
from cnnviz.sandbox import Limits, OverLimit, run
from cnnviz.work_queue import WorkQueue

# An ONNX file: parsing, shape inference and the receptive-field walk of a large model (ConvNeXt-XL at 1024 px)
# stay within these; ONNX Runtime's session for a ResNet-50 takes about 400 MB.
ONNX_LIMITS = Limits.from_env(memory_mb=1024, cpu_s=30, wall_s=60.0)
# A photo: the decoder's budget (``images.DECODE_BUDGET``, 256 MB) and the copies after it.
PHOTO_LIMITS = Limits(memory_mb=512, cpu_s=10, wall_s=20.0)

MEMORY = N_("this file needs more than {limit} MB to analyse")
TIME = N_("this file needs more than {limit} s of computing to analyse")
CRASH = N_("this file stopped the worker that analysed it")
FAILED = N_("this file could not be analysed: {reason}")


def _run(error_class: type[ValueError], job: str, data: bytes, limits: Limits, queue: WorkQueue | None,
         kind: str, **options):
    try:
        if queue is None:
            return run(job, data, limits, **options)
        return queue.run(run, job, data, limits, kind=kind, **options)
    except OverLimit as over:
        if over.what == "memory":
            raise error_class(MEMORY, limit=limits.memory_mb) from None
        if over.what == "time":
            raise error_class(TIME, limit=limits.cpu_s) from None
        raise error_class(CRASH) from None
    except (NetworkError, ImageError):
        raise
    except (ArithmeticError, LookupError, TypeError, AttributeError, RuntimeError) as error:
        from cnnviz.work_queue import Busy

        if isinstance(error, Busy):
            raise
        # A file this app's analysis did not foresee: its line, not a traceback.
        raise error_class(FAILED, reason=f"{type(error).__name__}: {error}"[:200]) from None


def analyse_onnx(file: OnnxFile, input_size: int | None, queue: WorkQueue | None = None) -> Network:
    """``cnnviz.any_network.onnx_graph.onnx_network`` in a worker."""
    return _run(NetworkError, "analyse_onnx", file.data, ONNX_LIMITS, queue, "onnx", name=file.name,
                input_size=input_size)


def classifier_input_size(file: OnnxFile, queue: WorkQueue | None = None) -> int | None:
    """The file's input size if it is an ImageNet classifier (``cnnviz.any_network.classifier``), else None."""
    try:
        return _run(NetworkError, "onnx_classifier_size", file.data, ONNX_LIMITS, queue, "onnx", name=file.name)
    except NetworkError:
        return None


def onnx_predictions(file: OnnxFile, image, k: int = 5, queue: WorkQueue | None = None) -> list:
    """The top-k of ``image`` through the file, with ONNX Runtime in a worker (``Prediction`` list)."""
    return _run(NetworkError, "onnx_predictions", file.data, ONNX_LIMITS, queue, "onnx-predict", name=file.name,
                image=image, k=k)


def decode_photo(data: bytes, *, shortest_side: int | None = None, longest_side: int | None = None,
                 queue: WorkQueue | None = None):
    """``cnnviz.imagelab.images.decode_image`` in a worker: an upright RGB ``PIL.Image``."""
    return _run(ImageError, "photo", data, PHOTO_LIMITS, queue, "photo", shortest_side=shortest_side,
                longest_side=longest_side)

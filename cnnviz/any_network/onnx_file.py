"""Reading an uploaded ONNX file safely: only its own bytes are parsed (protobuf, never a pickle), a file that
points to external data files is refused before anything could read them, and every bad file is one line.

The ``onnx`` package is the format's reference implementation: it parses the file and infers the shape of every
tensor once the input's size is fixed.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cnnviz.any_network import NeedsInputSize, NetworkError
from cnnviz.i18n import N_

MAX_BYTES = 200 * 2**20  # the app's own limit; a server may cap uploads lower (.streamlit/config.toml)
SMALLEST, LARGEST = 16, 1024
# Protobuf messages a file may hold (nodes, attributes, tensors, dimensions...): ResNet-50 has a few thousand, a
# large transformer some hundred thousand; five million empty nodes took 2 GB to parse.
MAX_MESSAGES = 500_000


@dataclass(frozen=True)
class OnnxFile:
    name: str  # the file's name, as uploaded
    data: bytes

    @functools.cached_property  # a file of up to MAX_BYTES, kept in the session: hashed once, not on every run
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def too_large(size: int) -> NetworkError:
    return NetworkError(N_("the file is {size} MiB; the limit is {limit} MiB"), size=f"{size / 2**20:.1f}",
                        limit=f"{MAX_BYTES / 2**20:.0f}")


def read_path(path: str | Path) -> OnnxFile:
    """A file on disk (the command line); its size is checked before a byte is read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise too_large(size)
        return OnnxFile(path.name, path.read_bytes())
    except FileNotFoundError:
        raise NetworkError(N_("no such file")) from None
    except IsADirectoryError:
        raise NetworkError(N_("is a folder, not an ONNX file")) from None
    except PermissionError:
        raise NetworkError(N_("permission denied")) from None


def parse(file: OnnxFile):
    """The checked ``onnx.ModelProto``: a whole ONNX model whose tensors all live inside the file."""
    import onnx
    from google.protobuf.message import DecodeError

    if not file.data:
        raise NetworkError(N_("the file is empty"))
    if len(file.data) > MAX_BYTES:
        raise too_large(len(file.data))
    from cnnviz.any_network.protobuf_scan import count_messages

    if (messages := count_messages(file.data, onnx.ModelProto.DESCRIPTOR, MAX_MESSAGES)) > MAX_MESSAGES:
        raise NetworkError(N_("the file holds more than {limit} protobuf messages (nodes, attributes, tensors); "
                              "this app reads up to that many"), limit=f"{MAX_MESSAGES:,}", found=messages)
    try:
        # From bytes: the onnx package reads external data only when it is given a path to load from.
        model = onnx.load_model_from_string(file.data)
    except (DecodeError, RuntimeWarning, ValueError, TypeError):
        raise _unreadable(file.data) from None
    if not model.graph.node or model.ir_version <= 0:
        raise _unreadable(file.data)
    refuse_external_data(model)
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, onnx.onnx_cpp2py_export.checker.ValidationError) as error:
        raise NetworkError(N_("the file is damaged or cut short: {reason}"),
                           reason=str(error).strip().splitlines()[0][:200]) from None
    return model


def _unreadable(data: bytes) -> NetworkError:
    # An ONNX file starts with its IR version (protobuf field 1, a varint: byte 0x08) and a small version number.
    if data[:1] == b"\x08" and len(data) > 2 and 0 < data[1] < 32:
        return NetworkError(N_("the file is damaged or cut short: it is not a whole ONNX model"))
    return NetworkError(N_("this is not an ONNX file"))


def _tensors(message):
    """Every ``TensorProto`` anywhere in ``message``: graph and sparse initializers (values and indices), Constant
    nodes, attributes of every kind, nested graphs, model-local functions, training graphs. The walk follows the
    schema rather than a list of known places, so a place added by a later ONNX version is searched too."""
    from onnx import TensorProto

    pending = [message]
    while pending:
        current = pending.pop()
        if isinstance(current, TensorProto):
            yield current
            continue
        for field in current.DESCRIPTOR.fields:
            if field.message_type is None:
                continue
            value = getattr(current, field.name)
            if _repeated(field):
                pending.extend(value)
            elif current.HasField(field.name):
                pending.append(value)


def _repeated(field) -> bool:
    # protobuf 5+ names it ``is_repeated``; older releases only have ``label``.
    return field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED


def refuse_external_data(model) -> None:
    """Weights kept in files beside the model would be read from the server's disk: refused, wherever the tensor
    sits in the model."""
    from onnx import TensorProto

    for tensor in _tensors(model):
        if tensor.data_location == TensorProto.EXTERNAL or tensor.external_data:
            raise NetworkError(N_("the model keeps its weights in external data files ({tensor}); only "
                                  "self-contained ONNX files are read"), tensor=tensor.name or "?")


def graph_inputs(model) -> list:
    """The graph's real inputs (older exporters also list every initializer as an input)."""
    stored = {tensor.name for tensor in model.graph.initializer}
    return [value for value in model.graph.input if value.name not in stored]


def _dims(value) -> list[int | None]:
    shape = value.type.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in shape.dim]


def open_dimensions(model) -> bool:
    """Whether an input leaves a dimension other than the batch open (a size must be given)."""
    return any(None in _dims(value)[1:] for value in graph_inputs(model))


def fixed_shapes(model, input_size: int | None) -> list[tuple[int, ...]]:
    """Each input's shape with the batch set to 1 and open height and width set to ``input_size``."""
    inputs = graph_inputs(model)
    if not inputs:
        raise NetworkError(N_("the graph has no input"))
    shapes = []
    for value in inputs:
        dims = _dims(value)
        if not value.type.HasField("tensor_type") or not dims:
            raise NetworkError(N_("input {name} is not a tensor of known rank"), name=value.name)
        open_ones = [i for i, d in enumerate(dims) if d is None and i > 0]
        if open_ones and input_size is None:
            raise NeedsInputSize(N_("the file leaves the input's size open ({name}: {shape}): give an input size"),
                                 name=value.name, shape="x".join("?" if d is None else str(d) for d in dims))
        if any(i < len(dims) - 2 for i in open_ones):
            raise NetworkError(N_("input {name} leaves a dimension other than height and width open"),
                               name=value.name)
        if input_size is not None and not SMALLEST <= input_size <= LARGEST:
            raise NetworkError(N_("the input size must be between {smallest} and {largest} pixels"),
                               smallest=SMALLEST, largest=LARGEST)
        shapes.append(tuple(1 if i == 0 and d is None else input_size if d is None else d
                            for i, d in enumerate(dims)))
    return shapes


def with_shapes(model, shapes: list[tuple[int, ...]]):
    """A copy of ``model`` with its inputs fixed to ``shapes`` and the shape of every tensor inferred."""
    import onnx

    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    for value, shape in zip(graph_inputs(fixed), shapes, strict=True):
        for dimension, size in zip(value.type.tensor_type.shape.dim, shape, strict=True):
            dimension.Clear()
            dimension.dim_value = size
    try:
        return onnx.shape_inference.infer_shapes(fixed, strict_mode=True, data_prop=True)
    except Exception as error:  # noqa: BLE001 — the inference's errors have no common class; the reason is shown
        reason = str(error).strip().splitlines()[0][:200]
        if "No Op registered" not in reason and "not a registered function" not in reason:
            raise NetworkError(N_("the tensor shapes cannot be inferred at this input size: {reason}"),
                               reason=reason) from None
    # An operator the onnx package does not know (a custom domain): infer what it can, past it where it can.
    try:
        return onnx.shape_inference.infer_shapes(fixed, strict_mode=False, data_prop=True)
    except Exception as error:  # noqa: BLE001 — as above
        raise NetworkError(N_("the tensor shapes cannot be inferred at this input size: {reason}"),
                           reason=str(error).strip().splitlines()[0][:200]) from None

"""Small ONNX files for the "Your network" tests: torchvision models exported by torch, and hand-built graphs for
the bad cases (built with onnx.helper: a few kilobytes, no export)."""

from __future__ import annotations

import io

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper


def exported(model: torch.nn.Module, size: int = 224, dynamic: bool = False) -> bytes:
    """``model`` in eval mode as ONNX bytes. The legacy exporter (works offline); PRESERVE keeps batch norm as its
    own operator (EVAL would fold it into the convolutions and change the parameter count)."""
    buffer = io.BytesIO()
    axes = {"image": {0: "batch", 2: "height", 3: "width"}} if dynamic else None
    torch.onnx.export(model.eval(), torch.zeros(1, 3, size, size), buffer, dynamo=False, input_names=["image"],
                      dynamic_axes=axes, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)
    return buffer.getvalue()


def _weight(name: str, *shape: int) -> TensorProto:
    return numpy_helper.from_array(np.random.default_rng(0).standard_normal(shape).astype(np.float32), name)


def tiny_graph(input_dims, extra_nodes=(), extra_weights=(), last: str = "pooled", opset: int = 17) -> onnx.ModelProto:
    """Conv 3->8 (3x3, stride 2, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm 8->10, with ``extra_nodes``
    between the pooling and the flatten (reading ``last``'s predecessor "pooled" and writing ``last``)."""
    nodes = [helper.make_node("Conv", ["image", "w", "b"], ["conv"], name="/stem/conv/Conv", kernel_shape=[3, 3],
                              strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["conv"], ["relu"], name="/stem/act/Relu"),
             helper.make_node("GlobalAveragePool", ["relu"], ["pooled"], name="/pool/GlobalAveragePool"),
             *extra_nodes,
             helper.make_node("Flatten", [last], ["flat"], name="/Flatten"),
             helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="/fc/Gemm", transB=1)]
    weights = [_weight("w", 8, 3, 3, 3), _weight("b", 8), _weight("fc_w", 10, 8), _weight("fc_b", 10),
               *extra_weights]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("image", TensorProto.FLOAT, input_dims)],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [input_dims[0], 10])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


TINY_PARAMS = 8 * 3 * 3 * 3 + 8 + 10 * 8 + 10


def tiny_macs(size: int) -> int:
    side = (size + 2 - 3) // 2 + 1  # the convolution's output side, the notes' formula
    return 8 * side * side * 3 * 3 * 3 + 10 * 8


def with_external_weights(location: str = "/etc/passwd") -> bytes:
    """The tiny graph with its convolution's weights in an external file: a file that must be refused."""
    model = tiny_graph([1, 3, 32, 32])
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    return model.SerializeToString()


def with_einsum() -> bytes:
    """The tiny graph with an Einsum (a 1x1 convolution written as one) after the pooling: an operator not counted."""
    einsum = helper.make_node("Einsum", ["pooled", "mix"], ["mixed"], name="/mix/Einsum", equation="bchw,dc->bdhw")
    return tiny_graph([1, 3, 32, 32], [einsum], [_weight("mix", 8, 8)], last="mixed").SerializeToString()

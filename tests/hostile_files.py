"""Crafted files a hostile student could upload, built here from a few lines each (no binary blobs): ONNX files
that point to files beside the server from every place a tensor can live, that declare enormous outputs or hold
millions of empty nodes, and photos whose headers promise gigabytes. Used by the tests and ``bench/hostile.py``."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from tests.any_network_files import tiny_graph

OPSET = 17


def _external(tensor: TensorProto, location: str, offset: int = 0, length: int = 1) -> TensorProto:
    """``tensor`` made to point at ``length`` bytes of ``location`` from ``offset`` (the attack: a classifier
    whose top-1 is a byte of any file under the server's working directory)."""
    tensor.ClearField("raw_data")
    tensor.ClearField("int64_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(length))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def _byte_tensor(name: str) -> TensorProto:
    return helper.make_tensor(name, TensorProto.UINT8, [1], [0])


def _serialized(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString()


def external_in_function(location: str = "app.py", offset: int = 0) -> bytes:
    """A model-local function whose Constant reads one byte of ``location``, fed through a OneHot into the
    classifier's output: the external-data check used to look only at the main graph."""
    constant = helper.make_node("Constant", [], ["byte"], value=_external(_byte_tensor("secret"), location, offset))
    cast = helper.make_node("Cast", ["byte"], ["index"], to=TensorProto.INT64)
    function = helper.make_function("hostile", "ReadByte", ["x"], ["index"], [constant, cast],
                                    [helper.make_opsetid("", OPSET)])
    model = tiny_graph([1, 3, 32, 32], extra_nodes=[helper.make_node("ReadByte", ["pooled"], ["leak"],
                                                                     domain="hostile")])
    model.functions.append(function)
    model.opset_import.append(helper.make_opsetid("hostile", 1))
    return _serialized(model)


def external_in_sparse_indices(location: str = "app.py") -> bytes:
    """A sparse initializer whose indices live in a file beside the server."""
    model = tiny_graph([1, 3, 32, 32])
    values = numpy_helper.from_array(np.ones(1, np.float32), "sparse_values")
    indices = _external(numpy_helper.from_array(np.zeros(1, np.int64), "sparse_indices"), location)
    model.graph.sparse_initializer.append(helper.make_sparse_tensor(values, indices, [4]))
    return _serialized(model)


def external_in_tensors_attribute(location: str = "app.py") -> bytes:
    """A TENSORS attribute (a list of tensors) of a custom operator, one of them external."""
    node = helper.make_node("Keep", ["pooled"], ["kept"], domain="hostile")
    attribute = helper.make_attribute("tables", [_external(_byte_tensor("table"), location)])
    node.attribute.append(attribute)
    model = tiny_graph([1, 3, 32, 32], extra_nodes=[node], last="kept")
    model.opset_import.append(helper.make_opsetid("hostile", 1))
    return _serialized(model)


def external_in_function_subgraph(location: str = "app.py") -> bytes:
    """An If inside a model-local function, its branch holding the external Constant: two levels deep."""
    branch = helper.make_graph([helper.make_node("Constant", [], ["out"],
                                                 value=_external(_byte_tensor("deep"), location))],
                               "branch", [], [helper.make_tensor_value_info("out", TensorProto.UINT8, [1])])
    condition = helper.make_node("Constant", [], ["yes"], value=helper.make_tensor("c", TensorProto.BOOL, [], [1]))
    choose = helper.make_node("If", ["yes"], ["index"], then_branch=branch, else_branch=branch)
    function = helper.make_function("hostile", "Deep", ["x"], ["index"], [condition, choose],
                                    [helper.make_opsetid("", OPSET)])
    model = tiny_graph([1, 3, 32, 32], extra_nodes=[helper.make_node("Deep", ["pooled"], ["leak"], domain="hostile")])
    model.functions.append(function)
    model.opset_import.append(helper.make_opsetid("hostile", 1))
    return _serialized(model)


def external_in_training_info(location: str = "app.py") -> bytes:
    """A training-info graph (ModelProto.training_info) whose initializer is external."""
    model = tiny_graph([1, 3, 32, 32])
    info = model.training_info.add()
    info.initialization.name = "init"
    info.initialization.initializer.append(_external(_byte_tensor("trained"), location))
    return _serialized(model)


def _upsampled(scale: float) -> onnx.ModelProto:
    scales = numpy_helper.from_array(np.array([1, 1, scale, scale], np.float32), "scales")
    resize = helper.make_node("Resize", ["relu", "", "scales"], ["big"], name="/up/Resize", mode="nearest")
    model = tiny_graph([1, 3, 32, 32])
    graph = model.graph
    nodes = list(graph.node)
    # Conv -> Relu -> Resize -> GlobalAveragePool -> Flatten -> Gemm
    nodes[2].input[0] = "big"
    graph.ClearField("node")
    graph.node.extend([nodes[0], nodes[1], resize, *nodes[2:]])
    graph.initializer.append(scales)
    return model


def resize_by(scale: float) -> bytes:
    """A 32-pixel input upsampled ``scale`` times (1e6: a map of 16 million pixels a side; 0: an empty map)."""
    return _serialized(_upsampled(scale))


def transposed_output_padding(padding: int = 2**40) -> bytes:
    """A transposed convolution whose ``output_padding`` declares an output of about ``padding`` pixels a side."""
    model = tiny_graph([1, 3, 32, 32])
    graph = model.graph
    nodes = list(graph.node)
    weight = numpy_helper.from_array(np.ones((8, 8, 3, 3), np.float32), "up_w")
    up = helper.make_node("ConvTranspose", ["relu", "up_w"], ["big"], name="/up/ConvTranspose", kernel_shape=[3, 3],
                          strides=[padding + 1, padding + 1], output_padding=[padding, padding])
    nodes[2].input[0] = "big"
    graph.ClearField("node")
    graph.node.extend([nodes[0], nodes[1], up, *nodes[2:]])
    graph.initializer.append(weight)
    return _serialized(model)


def empty_nodes(count: int = 5_000_000) -> bytes:
    """A protobuf bomb: a model whose graph holds ``count`` empty nodes, 2 bytes each on disk."""
    nodes = b"\x0a\x00" * count  # GraphProto field 1 (node), length 0
    graph = b"\x3a" + _varint(len(nodes)) + nodes  # ModelProto field 7 (graph)
    opset = helper.make_opsetid("", OPSET).SerializeToString()
    return b"\x08\x08" + graph + b"\x42" + _varint(len(opset)) + opset  # ir_version 8; field 8: opset_import


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


# Photos -------------------------------------------------------------------------------------------------------

def _png(width: int, height: int, bit_depth: int, colour_type: int, channels: int) -> bytes:
    """A PNG of zeros written chunk by chunk (its decoded size is never held here): a few hundred KB on disk."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" * (1 + width * channels * bit_depth // 8)  # filter byte + pixels
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def grey16_png(side: int = 9400) -> bytes:
    """16-bit grey, 88 megapixels: under Pillow's 89-megapixel cap, 2.2 GB through float64 temporaries before."""
    return _png(side, side, 16, 0, 1)


def rgba_png(side: int = 9400) -> bytes:
    """8-bit RGBA, 88 megapixels: three full RGBA copies (1.5 GB) on the way to RGB before."""
    return _png(side, side, 8, 6, 4)


def gif_bomb(side: int = 9400) -> bytes:
    """A transparent one-colour GIF of 88 megapixels in 65 KB: RGBA copies of it took 1.5 GB before."""
    buffer = io.BytesIO()
    Image.new("P", (side, side), 0).save(buffer, "GIF", transparency=0)
    return buffer.getvalue()


def webp_bomb(side: int = 9400) -> bytes:
    """A transparent lossless WebP of 88 megapixels in 3 KB (libwebp decodes into a buffer of its own first)."""
    buffer = io.BytesIO()
    Image.new("RGBA", (side, side), (0, 0, 0, 0)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def progressive_jpeg(side: int = 64, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (side, side, 3), np.uint8)).save(buffer, "JPEG", progressive=True,
                                                                       quality=quality)
    return buffer.getvalue()


def many_scans(scans: int = 20_000, side: int = 64) -> bytes:
    """A progressive JPEG with ``scans`` extra empty scans before its end: each one is a pass over the whole
    image for the decoder (20,000 took 70 s of a core in a 1.2 MB file)."""
    data = progressive_jpeg(side)
    start = data.rindex(b"\xff\xda")
    length = struct.unpack(">H", data[start + 2:start + 4])[0]
    empty_scan = data[start:start + 2 + length]  # the last scan's header, no entropy-coded data
    return data[:-2] + empty_scan * scans + data[-2:]


# ONNX: the other places a tensor can live ---------------------------------------------------------------------
# Each builder takes ``location`` (None: the same model with the tensor kept in the file, which must be read) and
# names its tensor after the place, so that a refusal can be traced to the tensor it found.

def _placed(tensor: TensorProto, location: str | None) -> TensorProto:
    return tensor if location is None else _external(tensor, location)


def _sparse(name: str, location: str | None, part: str) -> onnx.SparseTensorProto:
    """A one-value sparse tensor of 4 elements whose ``part`` ("values" or "indices") is placed at ``location``."""
    values = numpy_helper.from_array(np.ones(1, np.float32), name)
    indices = numpy_helper.from_array(np.zeros(1, np.int64), f"{name}_indices")
    values, indices = (_placed(values, location), indices) if part == "values" else (values, _placed(indices, location))
    return helper.make_sparse_tensor(values, indices, [4])


def _with_nodes(*nodes, custom_domain: bool = False, **graph_fields) -> bytes:
    """The tiny graph with ``nodes`` added beside it (outputs nothing reads); ``graph_fields``: lists to extend."""
    model = tiny_graph([1, 3, 32, 32])
    model.graph.node.extend(nodes)
    for field, values in graph_fields.items():
        getattr(model.graph, field).extend(values)
    if custom_domain:
        model.opset_import.append(helper.make_opsetid("hostile", 1))
    return _serialized(model)


def _constant_graph(name: str, location: str | None, **fields) -> onnx.GraphProto:
    """A one-Constant graph (an If branch, a custom operator's graph attribute) whose tensor is placed."""
    node = helper.make_node("Constant", [], ["out"], value=_placed(_byte_tensor(name), location))
    return helper.make_graph([node], name, [], [helper.make_tensor_value_info("out", TensorProto.UINT8, [1])],
                             **fields)


def external_main_initializer(location: str | None = "app.py") -> bytes:
    return _with_nodes(initializer=[_placed(_byte_tensor("main_initializer"), location)])


def external_main_constant(location: str | None = "app.py") -> bytes:
    """A Constant node of the main graph: its ``value`` attribute (TENSOR) is external."""
    return _with_nodes(helper.make_node("Constant", [], ["constant"],
                                        value=_placed(_byte_tensor("main_constant"), location)))


def external_tensor_attribute(location: str | None = "app.py") -> bytes:
    """A custom operator's TENSOR attribute (one tensor, not a list)."""
    node = helper.make_node("Keep", ["pooled"], ["kept"], domain="hostile")
    node.attribute.append(helper.make_attribute("table", _placed(_byte_tensor("tensor_attribute"), location)))
    return _with_nodes(node, custom_domain=True)


def external_sparse_attribute_values(location: str | None = "app.py") -> bytes:
    """A Constant's ``sparse_value`` (a SPARSE_TENSOR attribute) whose values are external."""
    return _with_nodes(helper.make_node("Constant", [], ["dense"],
                                        sparse_value=_sparse("sparse_attribute_values", location, "values")))


def external_sparse_attribute_indices(location: str | None = "app.py") -> bytes:
    return _with_nodes(helper.make_node("Constant", [], ["dense"],
                                        sparse_value=_sparse("sparse_attribute_indices", location, "indices")))


def external_sparse_tensors_attribute(location: str | None = "app.py") -> bytes:
    """A custom operator's SPARSE_TENSORS attribute (a list), the second one external."""
    node = helper.make_node("Keep", ["pooled"], ["kept"], domain="hostile")
    node.attribute.append(helper.make_attribute("tables", [_sparse("sparse_list_inline", None, "values"),
                                                           _sparse("sparse_tensors_attribute", location, "values")]))
    return _with_nodes(node, custom_domain=True)


def external_in_if(location: str | None = "app.py", branch: str = "then") -> bytes:
    """An If of the main graph, one branch (GRAPH attribute) holding the Constant."""
    inside = _constant_graph(f"if_{branch}_branch", location)
    outside = _constant_graph("if_other_branch", None)
    condition = helper.make_node("Constant", [], ["yes"], value=helper.make_tensor("yes", TensorProto.BOOL, [], [1]))
    branches = {"then_branch": inside, "else_branch": outside} if branch == "then" else \
        {"then_branch": outside, "else_branch": inside}
    return _with_nodes(condition, helper.make_node("If", ["yes"], ["chosen"], **branches))


def external_if_else_branch(location: str | None = "app.py") -> bytes:
    return external_in_if(location, branch="else")


def external_in_subgraph_initializer(location: str | None = "app.py") -> bytes:
    """An If branch whose tensor is an initializer of the branch graph, not a Constant node."""
    branch = helper.make_graph([helper.make_node("Identity", ["subgraph_initializer"], ["out"])], "branch", [],
                               [helper.make_tensor_value_info("out", TensorProto.UINT8, [1])],
                               [_placed(_byte_tensor("subgraph_initializer"), location)])
    condition = helper.make_node("Constant", [], ["yes"], value=helper.make_tensor("yes", TensorProto.BOOL, [], [1]))
    return _with_nodes(condition, helper.make_node("If", ["yes"], ["chosen"], then_branch=branch,
                                                   else_branch=_constant_graph("if_other_branch", None)))


def external_in_loop(location: str | None = "app.py") -> bytes:
    """A Loop of the main graph whose body holds the Constant (a body has the iteration and condition inputs)."""
    node = helper.make_node("Constant", [], ["out"], value=_placed(_byte_tensor("loop_body"), location))
    keep = helper.make_node("Identity", ["cond_in"], ["cond_out"])
    body = helper.make_graph([node, keep], "body",
                             [helper.make_tensor_value_info("i", TensorProto.INT64, []),
                              helper.make_tensor_value_info("cond_in", TensorProto.BOOL, [])],
                             [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
                              helper.make_tensor_value_info("out", TensorProto.UINT8, [1])])
    count = helper.make_node("Constant", [], ["count"], value=helper.make_tensor("count", TensorProto.INT64, [], [1]))
    return _with_nodes(count, helper.make_node("Loop", ["count", ""], ["scanned"], body=body))


def external_in_graphs_attribute(location: str | None = "app.py") -> bytes:
    """A custom operator's GRAPHS attribute (a list of graphs), the second one holding the Constant."""
    node = helper.make_node("Keep", ["pooled"], ["kept"], domain="hostile")
    node.attribute.append(helper.make_attribute("steps", [_constant_graph("graphs_inline", None),
                                                          _constant_graph("graphs_attribute", location)]))
    return _with_nodes(node, custom_domain=True)


def external_sparse_initializer_values(location: str | None = "app.py") -> bytes:
    """A sparse initializer of the main graph whose values (not its indices) are external."""
    return _with_nodes(sparse_initializer=[_sparse("sparse_initializer_values", location, "values")])


def external_function_attribute_default(location: str | None = "app.py") -> bytes:
    """A model-local function's attribute default (FunctionProto.attribute_proto): a TENSOR, external."""
    default = helper.make_attribute("table", _placed(_byte_tensor("function_default"), location))
    function = helper.make_function("hostile", "Keep", ["x"], ["y"], [helper.make_node("Identity", ["x"], ["y"])],
                                    [helper.make_opsetid("", OPSET)], attribute_protos=[default])
    model = onnx.load_model_from_string(_with_nodes(helper.make_node("Keep", ["pooled"], ["kept"], domain="hostile"),
                                                    custom_domain=True))
    model.functions.append(function)
    return _serialized(model)


def external_in_training_algorithm(location: str | None = "app.py") -> bytes:
    """A training-info algorithm graph (not its initialization) with an external initializer."""
    model = tiny_graph([1, 3, 32, 32])
    algorithm = _constant_graph("algorithm", None, initializer=[_placed(_byte_tensor("training_algorithm"), location)])
    model.training_info.append(helper.make_training_info(algorithm, [], None, None))
    return _serialized(model)

"""An ONNX tensor whose bytes live in a file beside the model is refused wherever it sits: every place the ONNX
schema has for a tensor (main and nested graphs, node attributes of each kind, sparse tensors' values and indices,
functions, training graphs) is covered by a file of ``tests.hostile_files``, and each of them is refused by name,
while the same file with the tensor kept inside it is read."""

from __future__ import annotations

import re

import onnx
import pytest
from google.protobuf.message import Message
from onnx import TensorProto

from cnnviz.any_network import NetworkError, onnx_file
from tests import hostile_files as hostile
from tests.any_network_files import with_external_weights

# Builders taking ``location=None`` for the same model with the tensor inside the file.
PLACED = [hostile.external_main_initializer, hostile.external_main_constant, hostile.external_tensor_attribute,
          hostile.external_sparse_attribute_values, hostile.external_sparse_attribute_indices,
          hostile.external_sparse_tensors_attribute, hostile.external_in_if, hostile.external_if_else_branch,
          hostile.external_in_subgraph_initializer, hostile.external_in_loop, hostile.external_in_graphs_attribute,
          hostile.external_sparse_initializer_values, hostile.external_function_attribute_default,
          hostile.external_in_training_algorithm]
# Every file with external data the tests build, the hostile-upload tests' included.
EVERY = [*PLACED, hostile.external_in_function, hostile.external_in_sparse_indices,
         hostile.external_in_tensors_attribute, hostile.external_in_function_subgraph,
         hostile.external_in_training_info, with_external_weights]

Edge = tuple[str, str]  # (message type, field): one step of the way from the model to a tensor


def _external_tensors(message, path: tuple[Edge, ...] = ()):
    """(path, tensor) for every external tensor below ``message``, walked over the fields that are set."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        edge = (message.DESCRIPTOR.name, field.name)
        for item in (value,) if isinstance(value, Message) else value:  # one message, or a repeated field
            if isinstance(item, TensorProto):
                if item.data_location == TensorProto.EXTERNAL or item.external_data:
                    yield (*path, edge), item
            else:
                yield from _external_tensors(item, (*path, edge))


def _schema_edges() -> set[Edge]:
    """Every (message, field) of the ONNX schema on some way from ModelProto to a TensorProto."""
    reachable, edges = {onnx.ModelProto.DESCRIPTOR.full_name: onnx.ModelProto.DESCRIPTOR}, {}
    pending = [onnx.ModelProto.DESCRIPTOR]
    while pending:
        for field in pending.pop().fields:
            if field.message_type is not None and field.message_type.full_name not in reachable:
                reachable[field.message_type.full_name] = field.message_type
                pending.append(field.message_type)
    for descriptor in reachable.values():
        edges[descriptor.name] = {(descriptor.name, f.name): f.message_type.name for f in descriptor.fields
                                  if f.message_type is not None}
    holds = {TensorProto.DESCRIPTOR.name}  # message types with a tensor somewhere below them
    while True:
        more = {name for name, fields in edges.items() if any(target in holds for target in fields.values())}
        if more <= holds:
            break
        holds |= more
    return {edge for fields in edges.values() for edge, target in fields.items() if target in holds}


def test_the_schema_walk_finds_the_places_it_should():
    # A check of this file's reference walk: the places the ONNX documentation lists, and no others.
    assert {("GraphProto", "initializer"), ("NodeProto", "attribute"), ("AttributeProto", "t"),
            ("AttributeProto", "sparse_tensor"), ("SparseTensorProto", "values"), ("SparseTensorProto", "indices"),
            ("FunctionProto", "attribute_proto"), ("TrainingInfoProto", "algorithm")} <= _schema_edges()
    assert not {edge for edge in _schema_edges() if edge[0] in ("ValueInfoProto", "TypeProto", "TensorProto")}


def test_every_place_a_tensor_can_live_has_a_file():
    """The union of the ways down to the external tensors of all the built files is every such way in the
    schema: a field a later ONNX version adds shows up here as one without a file."""
    used = set()
    for build in EVERY:
        found = list(_external_tensors(onnx.load_model_from_string(build("app.py"))))
        assert found, build
        used |= {edge for path, _ in found for edge in path}
    assert used == _schema_edges()


@pytest.mark.parametrize("build", PLACED, ids=lambda build: build.__name__)
def test_refused_by_name_wherever_the_tensor_lives(build):
    data = build("app.py")
    ((_, tensor),) = _external_tensors(onnx.load_model_from_string(data))
    with pytest.raises(NetworkError, match=rf"external data files \({re.escape(tensor.name)}\)"):
        onnx_file.parse(onnx_file.OnnxFile("x.onnx", data))


@pytest.mark.parametrize("build", PLACED, ids=lambda build: build.__name__)
def test_the_same_file_with_the_tensor_inside_is_read(build):
    """The refusal is the external data's: each file is a valid model without it."""
    data = build(None)
    assert not list(_external_tensors(onnx.load_model_from_string(data)))
    model = onnx_file.parse(onnx_file.OnnxFile("x.onnx", data))
    assert model.graph.output[0].name == "logits"

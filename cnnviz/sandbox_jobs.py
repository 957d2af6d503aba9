"""The jobs a limited worker (``cnnviz.sandbox``) runs on an uploaded file's bytes. The fork server imports this
module once, so every worker starts with its imports done; each job takes the file's bytes first."""

from __future__ import annotations

import torch

torch.set_num_threads(1)  # one core per job: the files' queue runs as many jobs as the server has cores for

from cnnviz.any_network import Network, classifier, onnx_file
from cnnviz.any_network.onnx_graph import onnx_network
from cnnviz.imagelab.images import decode_image
from cnnviz.imagelab.predict import Prediction


def analyse_onnx(data: bytes, name: str, input_size: int | None) -> Network:
    return onnx_network(onnx_file.OnnxFile(name, data), input_size)


def onnx_classifier_size(data: bytes, name: str) -> int | None:
    return classifier.classifier_input_size(onnx_file.OnnxFile(name, data))


def onnx_predictions(data: bytes, name: str, image, k: int) -> list[Prediction]:
    """The top-k of ``image``: ONNX Runtime builds the session here, in the worker, from the checked file."""
    return classifier.onnx_classifier(onnx_file.OnnxFile(name, data)).predict(image, k)


def photo(data: bytes, shortest_side: int | None, longest_side: int | None):
    return decode_image(data, shortest_side=shortest_side, longest_side=longest_side)


def working_directory(data: bytes) -> tuple[str, list[str]]:
    """Where a worker runs and what it finds there (the bench and the tests check it is an empty folder)."""
    import os

    return os.getcwd(), sorted(os.listdir("."))

"""The "Your network" page's caches: keyed by the timm name and input size, or by the ONNX file's sha256 and input
size (the file's bytes are not hashed again), and the uploaded file as an image-lab classifier."""

from __future__ import annotations

import streamlit as st

from cnnviz.any_network import Network, onnx_file, timm_models
from ui.cached.image_lab import inference_queue


@st.cache_resource(show_spinner=False, max_entries=16)  # read-only; the page shows the spinner, translated
def timm_network(name: str, input_size: int | None) -> Network:
    return timm_models.timm_network(name, input_size)


@st.cache_resource(show_spinner=False, max_entries=8)
def onnx_network(digest: str, input_size: int | None, name: str, _data: bytes) -> Network:
    """A ``NetworkError`` is raised, not cached."""
    from cnnviz.any_network.onnx_graph import onnx_network as analyse

    return analyse(onnx_file.OnnxFile(name, _data), input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def network_graph_dot(key: tuple, unfold, language: str, _network: Network) -> str:
    """Captions in ``language``, part of the key with the network's key (source, name or digest, input size) and the
    unfolded blocks."""
    from cnnviz.analysis.graph import layer_graph

    return layer_graph(_network.summary, unfold).source


@st.cache_data(show_spinner=False, max_entries=32)
def network_cost_chart(key: tuple, language: str, _network: Network) -> dict:
    from cnnviz.analysis.charts import cost_by_block

    return cost_by_block(_network.summary).to_plotly_json()


@st.cache_resource(show_spinner=False, max_entries=4)
def onnx_classifier(digest: str, name: str, _data: bytes):
    """None where the file is no ImageNet classifier. Shared by the sessions that uploaded the same file."""
    from cnnviz.any_network.classifier import classifier_input_size, onnx_classifier as runnable

    file = onnx_file.OnnxFile(name, _data)
    if not classifier_input_size(file):
        return None
    try:
        return runnable(file)
    except Exception:  # noqa: BLE001 — ONNX Runtime's errors share no class: a file it cannot run is not offered
        return None


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def uploaded_predictions(digest: str, photo_id: str, _model, _image) -> list[dict]:
    """Keyed by the file's and the photo's digests; ``Busy`` is raised, not cached."""
    from dataclasses import asdict

    return [asdict(p) for p in inference_queue().run(_model.predict, _image, 5)]

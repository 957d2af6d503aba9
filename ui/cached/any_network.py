"""The "Your network" page's caches: keyed by the timm name and input size, or by the ONNX file's sha256 and input
size (the file's bytes are not hashed again), and the uploaded file as an image-lab classifier."""

from __future__ import annotations

import streamlit as st

from cnnviz.any_network import Network, onnx_file, timm_models


@st.cache_resource(show_spinner=False, max_entries=16)  # read-only; the page shows the spinner, translated
def timm_network(name: str, input_size: int | None) -> Network:
    """Traced in the inference queue's turn (up to 11 s: convnext_xxlarge at 1024 pixels), within the session's
    share; a queue that stays busy is a ``NetworkError`` (the page's one line), not cached."""
    from cnnviz.imagelab.serving import Busy, retry_busy
    from ui.busy import network_error
    from ui.cached.image_lab import inference_queue

    try:  # retried without a notice: a cached function must not draw (the page's spinner runs meanwhile)
        return retry_busy(lambda: inference_queue().run(timm_models.timm_network, name, input_size))
    except Busy as busy:
        raise network_error(busy) from None


@st.cache_resource(show_spinner=False)
def files_queue():
    """Uploaded files are read in limited workers (``cnnviz.uploads``), two at once: a bomb costs one worker for a
    bounded time, and each student keeps to a fair share of the places (``ui.session``)."""
    from cnnviz.imagelab.serving import default_share
    from cnnviz.work_queue import WorkQueue
    from ui.session import session_owner

    return WorkQueue(workers=2, waiting=16, wait_s=60.0, share=default_share(), owner_of=session_owner)


@st.cache_resource(show_spinner=False, max_entries=8)
def onnx_network(digest: str, input_size: int | None, name: str, _data: bytes) -> Network:
    """Analysed in a limited worker. A ``NetworkError`` (or ``Busy``) is raised, not cached."""
    from cnnviz import uploads

    return uploads.analyse_onnx(onnx_file.OnnxFile(name, _data), input_size, files_queue())


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
    """None where the file is no ImageNet classifier (told by a limited worker). Shared by the sessions that
    uploaded the same file."""
    from cnnviz import uploads
    from cnnviz.any_network.classifier import UploadedClassifier

    file = onnx_file.OnnxFile(name, _data)
    size = uploads.classifier_input_size(file, files_queue())
    return UploadedClassifier.of(file, size) if size else None


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def uploaded_predictions(digest: str, photo_id: str, _model, _image) -> list[dict]:
    """Keyed by the file's and the photo's digests; ONNX Runtime runs the file in a limited worker. ``Busy`` and
    ``NetworkError`` are raised, not cached."""
    from dataclasses import asdict

    from cnnviz import uploads

    return [asdict(p) for p in uploads.onnx_predictions(_model.file, _image, 5, files_queue())]

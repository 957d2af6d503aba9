"""The image lab's choice of the session's uploaded ONNX file (from "Your network"), where it is an ImageNet
classifier: one image in, 1,000 scores out."""

from __future__ import annotations

import html

import streamlit as st

from cnnviz.any_network import NetworkError, onnx_file
from cnnviz.i18n import _
from ui import cached
from ui.plain import plain
from ui.any_network import ONNX_KEY

UPLOADED = "your_network"  # its id among the image lab's model choices (and in that page's link)


def uploaded_classifier():
    """The session's uploaded ONNX file as an image-lab classifier (``UploadedClassifier``), or None (also while
    the files' queue is too busy to tell: the choice appears on a later run)."""
    from cnnviz.work_queue import Busy

    stored = st.session_state.get(ONNX_KEY)
    if stored is None or len(stored.data) > onnx_file.MAX_BYTES:
        return None
    try:
        return cached.onnx_classifier(stored.digest, stored.name, stored.data)
    except Busy:
        return None


def show_uploaded_predictions(photo, page: str) -> None:
    """The uploaded classifier's top-5 of ``photo``, as the image lab shows its own networks'."""
    from cnnviz.imagelab.figures import top_k_bars
    from cnnviz.imagelab.predict import Prediction
    from ui.busy import when_free

    model = uploaded_classifier()
    st.header(plain(model.title))  # the uploaded file's name
    digest = st.session_state[ONNX_KEY].digest
    with st.spinner(_("Running the photo through {model}…").format(model=plain(model.title))):
        try:
            predictions = when_free(lambda: cached.uploaded_predictions(digest, photo.id, model, photo.image))
        except NetworkError as error:  # the file failed in its worker (memory, time): its one line
            st.error(plain(f"{model.title}: {error.text()}"), icon=":material/error:")
            return
    if predictions is None:
        return
    # The file's name as text in plotly's title, which draws tags (<a href> would make a link).
    figure = top_k_bars([Prediction(**p) for p in predictions],
                        _("Top-5 of {model}").format(model=html.escape(model.title)))
    st.plotly_chart(figure, width="stretch", key=f"{page}_chart_{UPLOADED}")
    spec = model.preprocessing
    st.caption(_("Your ONNX file, through ONNX Runtime. Input: short side resized to {resize} px, central {crop}x{crop} "
                 "crop, normalised with ImageNet's mean and std.").format(resize=spec.resize, crop=spec.crop))

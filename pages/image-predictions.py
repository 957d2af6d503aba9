"""Image lab: a photo through pretrained ImageNet networks, top-5 classes side by side."""

from ui.first_visit import through_app

through_app()

import os

import streamlit as st

from cnnviz.i18n import _
from cnnviz.imagelab.figures import top_k_bars
from cnnviz.imagelab.predict import DEFAULT_MODEL, Prediction
from cnnviz.imagelab.pretrained import (PRETRAINED_TITLES, TORCHVISION_TITLES, WeightsUnavailable, cached_weights,
                                        download_weights, has_pretrained, missing_weights_message, weights_choices)
from cnnviz.imagelab.samples import sample_path
from cnnviz.lectures.topics import pytorch_example
from ui import cached, url_state
from ui.uploaded_classifier import UPLOADED, show_uploaded_predictions, uploaded_classifier
from ui.busy import when_free
from ui.photo import pick_photo

PAGE = "image_predict"

st.title(_("What do the networks see in a photo?"))
st.write(_("Each network was trained on ImageNet's 1,000 classes. It outputs one score (logit) per class; the "
           "softmax turns the scores into probabilities that add up to 1, and the five largest are shown."))
st.latex(r"p_i = \frac{e^{z_i}}{\sum_{j=1}^{1000} e^{z_j}}")
photo = pick_photo(PAGE)


def _label(name: str) -> str:
    if name == UPLOADED:
        return _("{file} (your ONNX file)").format(file=uploaded.title)
    if has_pretrained(name):
        return PRETRAINED_TITLES[name]
    return _("{model} (weights not downloaded)").format(model=PRETRAINED_TITLES[name])


SIDE_BY_SIDE = 4


uploaded = uploaded_classifier()  # the ONNX file uploaded on "Your network", if it is an ImageNet classifier
models = [*PRETRAINED_TITLES, *([UPLOADED] if uploaded else [])]
chosen = st.multiselect(_("Networks (up to four side by side)"), models, format_func=_label,
                        max_selections=SIDE_BY_SIDE,
                        key=url_state.several("models", f"{PAGE}_models", models, [DEFAULT_MODEL],
                                              most=SIDE_BY_SIDE))
if not chosen:
    st.info(_("Pick at least one network."))
    st.stop()


# A checkpoint is up to 528 MiB (VGG-16) fetched onto the server's disk at one visitor's click, so the button is the
# operator's choice; the command line's `predict --download` is the operator's own and needs no permission.
DOWNLOADS_VARIABLE = "CNNVIZ_ALLOW_DOWNLOADS"


def _offer_download(name: str) -> None:
    st.warning(missing_weights_message(name), icon=":material/cloud_off:")
    if os.environ.get(DOWNLOADS_VARIABLE) != "1":
        st.caption(_("The server's operator has not enabled downloads here ({variable}=1 in the server's environment "
                     "enables them).").format(variable=DOWNLOADS_VARIABLE))
        return
    size = weights_choices(name)[0].meta.get("_file_size", 0)
    if st.button(_("Download {model} ({size} MB)").format(model=PRETRAINED_TITLES[name], size=f"{size:.0f}"),
                 key=f"{PAGE}_download_{name}"):
        bar = st.progress(0.0, text=_("Connecting…"))
        done_of = _("{done} of {total} MiB")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 0.0,
                         text=done_of.format(done=f"{done / 2**20:.1f}", total=f"{total / 2**20:.1f}"))

        try:
            download_weights(name, progress)
        except WeightsUnavailable as error:
            bar.empty()
            st.error(str(error))
            return
        st.rerun()


def _show(name: str) -> None:
    st.header(PRETRAINED_TITLES[name])
    if not has_pretrained(name):
        _offer_download(name)
        return
    try:
        # Shown only past half a second: loading the network (once per server) or a photo new to it.
        with st.spinner(_("Running the photo through {model}…").format(model=PRETRAINED_TITLES[name])):
            predictions = when_free(lambda: cached.image_predictions(name, photo.id, photo.image))
            spec = None if predictions is None else cached.classifier(name).preprocessing
    except WeightsUnavailable as error:
        st.error(str(error))
        return
    if predictions is None:
        return
    figure = top_k_bars([Prediction(**p) for p in predictions],
                        _("Top-5 of {model}").format(model=PRETRAINED_TITLES[name]))
    st.plotly_chart(figure, width="stretch", key=f"{PAGE}_chart_{name}")
    st.caption(_("Input: short side resized to {resize} px, central {crop}x{crop} crop, normalised with mean {mean} "
                 "and std {std}. Top-5 together: {together}.").format(
        resize=spec.resize, crop=spec.crop, mean=_rounded(spec.mean), std=_rounded(spec.std),
        together=f"{sum(p['probability'] for p in predictions):.1%}"))
    with st.expander(_("The same in PyTorch")):  # folded already, presenting or not (expanders cannot nest)
        st.code(_pytorch_code(name, spec), language="python")
        st.caption(_("The notes' PyTorch VGG example (notes 004, last slides) written for this network and this "
                     "photo: the same resize, crop, mean and std, the same weights, softmax and top-5. torchvision "
                     "resizes the whole photo before cropping; the app resamples only the crop, so probabilities "
                     "may differ in the last digits."))


def _pytorch_code(name: str, spec) -> str:
    weights = cached_weights(name) if name in TORCHVISION_TITLES else None
    filename = str(sample_path(photo.name)) if photo.source == "sample" else "your_photo.jpg"
    return pytorch_example(name, spec, filename, str(weights) if weights else None)


def _rounded(values) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in values) + ")"


for column, name in zip(st.columns(len(chosen)), chosen, strict=True):
    with column:
        if name == UPLOADED:
            show_uploaded_predictions(photo, PAGE)
        else:
            _show(name)

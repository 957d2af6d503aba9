"""The image lab's caches: one shared model instance per weights, inference through one bounded queue."""

from __future__ import annotations

import streamlit as st

from cnnviz.i18n import _
from ui.cached.figures import figure


@st.cache_resource(show_spinner=False)
def inference_queue():
    """Shared by every session; each job is its session's (``ui.session``), within the student's fair share."""
    from cnnviz.imagelab.serving import InferenceQueue, configure_torch_threads
    from ui.session import session_owner

    configure_torch_threads()
    return InferenceQueue(owner_of=session_owner)


@st.cache_resource(show_spinner=False, max_entries=12)  # the pages show the spinner, in the session's language
def classifier(name: str):
    """Shared by every session; raises ``WeightsUnavailable`` (not cached) while the file is missing."""
    from cnnviz.imagelab.predict import load_classifier

    inference_queue()  # sets the torch thread count before the first model runs
    return load_classifier(name)


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600)
def image_predictions(name: str, photo_id: str, _image, k: int = 5) -> list[dict]:
    """Top-k of one photo, keyed by its digest (a hall on the same sample runs it once). ``Busy`` is
    raised, not cached: the page retries."""
    from dataclasses import asdict

    model = classifier(name)
    return [asdict(p) for p in inference_queue().run(model.predict, _image, k)]


@st.cache_resource(show_spinner=False, max_entries=4)  # VGG-19 alone is 550 MB; spinner: pretrained_or_random
def inspected_model(name: str, pretrained: bool):
    """``pretrained`` is part of the key: a model whose weights arrive later is rebuilt with them."""
    from cnnviz.imagelab.inside import from_classifier, with_random_weights

    return from_classifier(classifier(name)) if pretrained else with_random_weights(name)


def pretrained_or_random(name: str):
    """(inspected model, error): pretrained where its weights are available and load, else seeded random
    weights; ``error`` says why a checkpoint that is present could not be loaded (a damaged file), in the session's
    language."""
    from cnnviz.imagelab.pretrained import WeightsUnavailable, has_pretrained

    with st.spinner(_("Building the network…")):  # shown only past half a second: when the model is not built yet
        if has_pretrained(name):
            try:
                return inspected_model(name, True), None
            except WeightsUnavailable as error:
                return inspected_model(name, False), str(error)
        return inspected_model(name, False), None


@st.cache_resource(show_spinner=False, max_entries=8)
def sample_photo(key: str):
    """A sample decoded as uploads are (``cnnviz.imagelab.samples``); shared and read-only."""
    from cnnviz.imagelab.samples import sample_image

    return sample_image(key)


@st.cache_data(show_spinner=False, max_entries=32)  # the page shows the spinner, in the session's language
def inspected_layers(name: str) -> list:
    """Shapes only (a meta-device pass): the same for random and pretrained weights."""
    from cnnviz.imagelab.inside import layers

    return layers(name)


@st.cache_data(show_spinner=False, max_entries=32)  # the page shows the spinner, in the session's language
def image_filter_figure(name: str, pretrained: bool, language: str) -> dict:
    """The figure as a dict: a grid of 64 small pictures takes about half a second to build. Its titles are in
    ``language`` (``cnnviz.i18n.current()`` of the caller: built in its run)."""
    from cnnviz.imagelab.figures import filter_grid
    from cnnviz.imagelab.inside import filter_images, first_convolution

    conv_name, conv = first_convolution(inspected_model(name, pretrained).model)
    return filter_grid(filter_images(conv), conv_name).to_plotly_json()


@st.cache_data(show_spinner=False, max_entries=48, ttl=3600)  # the page shows the spinner, in its language
def image_feature_maps(name: str, pretrained: bool, photo_id: str, layer: str, _image):
    """The strongest channels' maps and every channel's mean (``StrongestMaps``), not the whole output."""
    from cnnviz.imagelab.inside import feature_maps, strongest_maps

    maps = inference_queue().run(feature_maps, inspected_model(name, pretrained), _image, layer)
    return strongest_maps(maps)


def image_feature_grid(name: str, pretrained: bool, photo_id: str, layer: str, count: int, maps) -> dict:
    """The feature maps' figure (``maps``: ``image_feature_maps`` of the same arguments), kept as a first-view
    figure: plotly takes a fifth of a second to build its facets. The page and the warm-up share this key."""
    from cnnviz.imagelab import figures

    return figure(("feature maps", name, pretrained, photo_id, layer, count),
                  lambda: figures.feature_grid(maps, count, layer))


@st.cache_data(show_spinner=False, max_entries=48, ttl=3600)  # the page shows the spinner, in its language
def image_grad_cam(name: str, photo_id: str, layer: str, _image):
    from cnnviz.imagelab.inside import grad_cam

    return inference_queue().run(grad_cam, inspected_model(name, True), _image, layer)


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)  # the page shows the spinner, translated
def ten_crop_prediction(name: str, photo_id: str, _image):
    """Keyed by the photo's digest; through the image lab's queue (``Busy`` is raised, not cached)."""
    from cnnviz.labs.regularisation import ten_crop_prediction as predict

    return inference_queue().run(predict, classifier(name), _image)

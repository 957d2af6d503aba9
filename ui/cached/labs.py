"""The concept labs' and topics' caches: receptive fields by back-propagation, the topics' runs, on registry
models and the image lab's shared models."""

from __future__ import annotations

import streamlit as st

from cnnviz.i18n import N_
from cnnviz.zoo.registry import resolve
from ui.cached.image_lab import classifier, inference_queue, inspected_model, sample_photo
from ui.cached.spinners import with_spinner


@st.cache_data(show_spinner=False, max_entries=64)  # the page shows the spinner, in the session's language
def lab_measured_field(model: str):
    from cnnviz.analysis.receptive_field.measure import measured_receptive_field

    return measured_receptive_field(resolve(model)[1])


@st.cache_data(show_spinner=False, max_entries=256)  # the page shows the spinner, in the session's language
def lab_effective_field(model: str, pretrained: bool, layer: str, photo: str, row: int, col: int):
    """On the image lab's shared model, through its queue (``Busy`` is raised, not cached)."""
    from cnnviz.analysis.receptive_field.effective import effective_field

    return inference_queue().run(effective_field, inspected_model(model, pretrained), sample_photo(photo),
                                 layer, row, col)


# Topics the notes teach beyond the architectures (``cnnviz.lectures.topics``) and the regularisation lab.
@with_spinner(N_("Running a random input through a 30-layer ReLU stack…"))
@st.cache_data(show_spinner=False)
def topic_activation_spread() -> dict[str, list[float]]:
    from cnnviz.lectures.topics import activation_spread

    return activation_spread()


@with_spinner(N_("Running the photo through EfficientNet-Lite0…"))
@st.cache_data(show_spinner=False, max_entries=16)
def topic_bottleneck_spectrum(photo: str):
    """On a sample photo, through the image lab's queue (``Busy`` is raised, not cached)."""
    from cnnviz.lectures.topics import bottleneck_spectrum

    return inference_queue().run(bottleneck_spectrum, classifier("efficientnet_lite0"), sample_photo(photo))


@with_spinner(N_("Building the CIFAR ResNets on the `meta` device…"))
@st.cache_data(show_spinner=False)
def topic_cifar_resnets() -> list[dict]:
    from cnnviz.lectures.topics import cifar_resnet_rows

    return cifar_resnet_rows()

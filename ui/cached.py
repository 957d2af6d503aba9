"""The one place that defines the app's caches (shared across sessions and threads)."""

from __future__ import annotations

import functools

import streamlit as st

from cnnviz.analysis.graph import layer_graph, svg
from cnnviz.i18n import N_, _, current
from cnnviz.analysis.source import model_sources
from cnnviz.analysis.summary import Summary, summary_of
from cnnviz.zoo.registry import resolve


def _with_spinner(text: str):
    """A cached call's spinner in the session's language (``show_spinner`` takes one text for every session)."""
    def wrap(cached_function):
        @functools.wraps(cached_function)
        def call(*args, **kwargs):
            with st.spinner(_(text)):
                return cached_function(*args, **kwargs)
        return call
    return wrap


def summary(model: str, input_size: int | None = None) -> Summary:
    """Read-only: callers must not mutate it. Shared with every other use in the process (``summary_of``)."""
    return summary_of(model, input_size)


def graph_dot(model: str, input_size: int | None, unfold: tuple[str, ...] | bool,
              highlight: tuple[str, ...] = (), window: int | None = None) -> str:
    """The DOT source; its captions (params, MACs, input) are in the session's language, cached per language."""
    return _graph_dot(model, input_size, unfold, highlight, window, current())


@st.cache_data(show_spinner=False, max_entries=64)
def _graph_dot(model: str, input_size: int | None, unfold: tuple[str, ...] | bool,
               highlight: tuple[str, ...], window: int | None, language: str) -> str:
    return layer_graph(summary(model, input_size), unfold, highlight, window).source


def graph_svg(model: str, input_size: int | None, unfold: tuple[str, ...] | bool) -> bytes | None:
    with st.spinner(_("Rendering SVG…")):  # shown only past half a second: when the cache misses
        return _graph_svg(model, input_size, unfold, current())


@st.cache_data(show_spinner=False, max_entries=32)
def _graph_svg(model: str, input_size: int | None, unfold: tuple[str, ...] | bool, language: str) -> bytes | None:
    return svg(layer_graph(summary(model, input_size), unfold))


def graph_picture(model: str, input_size: int | None, unfold: tuple[str, ...] | bool,
                  highlight: tuple[str, ...] = (), window: int | None = None) -> str | None:
    """The graph drawn here as SVG (None without graphviz's ``dot``): a picture the browser shows at once, where
    an interactive graph first loads and compiles a graphviz of its own."""
    return _graph_picture(model, input_size, unfold, highlight, window, current())


@st.cache_data(show_spinner=False, max_entries=256)
def _graph_picture(model: str, input_size: int | None, unfold: tuple[str, ...] | bool, highlight: tuple[str, ...],
                   window: int | None, language: str) -> str | None:
    rendered = svg(layer_graph(summary(model, input_size), unfold, highlight, window))
    return rendered.decode() if rendered else None


@st.cache_data(show_spinner=False, max_entries=128)
def walk_steps(model: str, input_size: int | None, language: str) -> list:
    """The steps' texts are in ``language`` (``cnnviz.i18n.current()`` of the caller: built in its run)."""
    from cnnviz.lectures.stepper import walk_steps as steps

    return steps(summary(model, input_size), receptive_fields(model, input_size))


@st.cache_data(show_spinner=False, max_entries=256)
def volume_svg(before: tuple[int, ...], after: tuple[int, ...], kernel_hw: tuple[int, int] | None,
               before_label: str, after_label: str) -> str:
    from cnnviz.lectures.volumes import volume_svg as drawing

    return drawing(before, after, kernel_hw, before_label, after_label)


@st.cache_data(show_spinner=False, max_entries=64)
def sources(model: str) -> list[tuple[str, str]]:
    return model_sources(summary(model, None))


def cost_chart(model: str, input_size: int | None) -> dict:
    """The figure as a dict: building plotly subplots costs more than the rest of the page. Its titles are in the
    session's language, cached per language."""
    return _cost_chart(model, input_size, current())


@st.cache_data(show_spinner=False, max_entries=64)
def _cost_chart(model: str, input_size: int | None, language: str) -> dict:
    from cnnviz.analysis.charts import cost_by_block

    return cost_by_block(summary(model, input_size)).to_plotly_json()


@st.cache_data(show_spinner=False, max_entries=64)
def layer_counts(model: str, input_size: int | None) -> tuple[int, int]:
    """(conv layers, FC layers) in the notes' convention, the same count the compare page uses."""
    from cnnviz.lectures.profiles import profile

    counted = profile(summary(model, input_size), resolve(model)[1].auxiliary)
    return counted.conv_layers, counted.fc_layers


def block_dot(model: str, block: str) -> str:
    """One block's DOT source; its captions are in the session's language, cached per language."""
    return _block_dot(model, block, current())


@st.cache_data(show_spinner=False, max_entries=64)
def _block_dot(model: str, block: str, language: str) -> str:
    from cnnviz.analysis.graph import block_graph

    return block_graph(summary(model, None), block).source


def departure_counts(arch: str, language: str | None = None) -> list[dict]:
    """``language``: by default the session's (``i18n.current()``), part of the key: the rows hold texts."""
    with st.spinner(_("Building the paper's version…")):  # shown only past half a second: when the cache misses
        return _departure_counts(arch, language or current())


@st.cache_data(show_spinner=False, max_entries=16)
def _departure_counts(arch: str, language: str) -> list[dict]:
    from cnnviz.lectures.paper_vs_impl import departures_for

    rows = []
    for departure in departures_for(arch):
        ours, paper = departure.build_implementation(), departure.build_paper()
        rows.append({"title": departure.title, "explanation": departure.explanation,
                     "implementation": departure.implementation, "paper": departure.paper,
                     "impl_params": ours.total_params, "paper_params": paper.total_params,
                     "impl_macs": ours.total_macs, "paper_macs": paper.total_macs})
    return rows


@st.cache_data(show_spinner=False, max_entries=32)
def _checked_claims(arch: str, language: str) -> list[dict]:
    from cnnviz.lectures.notes_check import claims_for

    return [claim.record() for claim in claims_for(arch)]


def checked_claims(arch: str, language: str | None = None) -> list[dict]:
    """An architecture page's claims (``Claim.record``) in ``language``, by default the session's
    (``i18n.current()``): the records hold the explanations' words and the quotes' translations."""
    return _checked_claims(arch, language or current())


@st.cache_data(show_spinner=False, max_entries=32)
def checked_claims_with_keys(keys: tuple[str, ...]) -> list[dict]:
    """The same records for the claims a concept lab discusses (``cnnviz.lectures.notes_check`` keys)."""
    from cnnviz.lectures.notes_check import claims_with_keys

    return _claim_records(claims_with_keys(keys))


def _claim_records(claims) -> list[dict]:
    from cnnviz.lectures.notes_check import NOTES

    # English texts, shared by every session; "file", "source", "why" and "values" let a page translate them when
    # showing them: f"{file} ({_(source)})", _(why).format(**values), _(unit).
    # ("english": the quote's English translation, a msgid; ``course_notes.translation(quote, english)``.)
    return [{"notes": f"{c.notes} ({NOTES[c.notes]})", "quote": c.quote, "claimed": c.claimed,
             "computed": c.computed, "unit": c.unit, "correct": c.correct,
             "explanation": c.why.format(computed=c.computed, **c.extras()), "english": c.english,
             "file": c.notes, "source": NOTES[c.notes], "why": c.why, "values": {"computed": c.computed, **c.extras()}}
            for c in claims]


# The comparison and transfer-learning pages.
@st.cache_data(show_spinner=False)  # the page shows the spinner, in the session's language
def compare_summary_table(language: str) -> list[dict]:
    """``language``: ``i18n.current()``, part of the key: the records hold words (yes, no, titles)."""
    from cnnviz.lectures.comparison import summary_table

    return summary_table()


@st.cache_data(show_spinner=False)  # the page shows the spinner, in the session's language
def compare_notes_verdicts(language: str) -> list[dict]:
    """``language``: ``i18n.current()``, part of the key: the records hold the explanations and translations."""
    from cnnviz.lectures.comparison import notes_vs_ours, verdict_records

    return verdict_records(notes_vs_ours())


@st.cache_data(show_spinner=False)
def compare_winner_depths() -> dict[str, int]:
    from cnnviz.lectures.comparison import model_profile
    from cnnviz.lectures.ilsvrc import RESULTS

    return {entry.model: model_profile(entry.model).depth for entry in RESULTS if entry.model}


@st.cache_data(show_spinner=False)  # numbers and names only; the page shows the spinner, translated
def compare_accuracy_points() -> list[dict]:
    from cnnviz.lectures.ilsvrc import accuracy_points

    return accuracy_points()


@_with_spinner(N_("Cutting the model into stages…"))
@st.cache_data(show_spinner=False, max_entries=32)
def transfer_stages(model: str) -> list[dict]:
    from dataclasses import asdict

    from cnnviz.lectures.transfer_stages import model_stages

    return [asdict(stage) for stage in model_stages(model)]


@_with_spinner(N_("Building the model and setting requires_grad…"))
@st.cache_data(show_spinner=False, max_entries=64)
def transfer_freezing(model: str, mode: str, new_classes: int, top_stages: int) -> dict:
    from dataclasses import asdict

    from cnnviz.lectures.transfer_stages import Stage, freeze

    found = [Stage(**row) for row in transfer_stages(model)]
    return asdict(freeze(model, mode, new_classes, top_stages, found)[1])


# The image lab: one shared model instance per weights, inference through one bounded queue.
@st.cache_resource(show_spinner=False)
def inference_queue():
    from cnnviz.imagelab.serving import InferenceQueue, configure_torch_threads

    configure_torch_threads()
    return InferenceQueue()


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


@st.cache_data(show_spinner=False, max_entries=48, ttl=3600)  # the page shows the spinner, in its language
def image_grad_cam(name: str, photo_id: str, layer: str, _image):
    from cnnviz.imagelab.inside import grad_cam

    return inference_queue().run(grad_cam, inspected_model(name, True), _image, layer)


# The mini-trainings: small seeded runs, the same for every visitor, taking turns through one bounded queue.
@st.cache_resource(show_spinner=False)
def training_queue():
    """Shared by every session: ``CNNVIZ_TRAINING_WORKERS`` trainings at once, eight waiting per worker."""
    from cnnviz.training.queueing import training_queue as new_queue

    return new_queue()


def schedule_runs(names: tuple[str, ...], settings) -> dict | None:
    """One cached run per schedule, keyed only by the settings that schedule uses. A run not cached yet waits
    its turn in the training queue, its place in line shown; None (with one line shown) when the line is full."""
    from cnnviz.training.schedules import used_settings
    from ui.training_queue import queued

    used = {name: used_settings(name, settings) for name in names}
    return queued(lambda: {name: schedule_run(name, s.epochs, s.patience, s.warm_epochs) for name, s in used.items()},
                  "schedules", sum(s.epochs for s in used.values()))


@st.cache_data(show_spinner=False, max_entries=96)  # the page shows the spinner, in the session's language
def schedule_run(name: str, epochs: int, patience: int, warm_epochs: int):
    """``Busy`` and ``InLine`` (no worker free: ``schedule_runs`` waits in view and calls again) are raised, not
    cached."""
    from cnnviz.training.queueing import admitted
    from cnnviz.training.schedules import train_with_schedule

    with admitted(training_queue(), "schedules", epochs):
        return train_with_schedule(name, epochs, patience, warm_epochs)


# The concept labs: receptive fields by the recursion and by back-propagation, on registry models.
def receptive_fields(model: str, *input_size: int | None) -> list:
    """For the concept lab and the image lab: ``receptive_fields(model)`` or ``receptive_fields(model, size)``.
    The cache's key is the arguments as passed (defaults are not filled in): the concept lab's tables pass the
    model only, pages on a model's input pass its size. The rows hold no words (``LayerRF.recursion``'s are
    translated where shown)."""
    with st.spinner(_("Tracing the receptive fields…")):  # shown only past half a second: when the cache misses
        return _receptive_fields(model, *input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def _receptive_fields(model: str, input_size: int | None = None) -> list:
    from cnnviz.analysis.receptive_field.recursion import receptive_fields as fields

    return fields(resolve(model)[1], input_size)


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
@_with_spinner(N_("Running a random input through a 30-layer ReLU stack…"))
@st.cache_data(show_spinner=False)
def topic_activation_spread() -> dict[str, list[float]]:
    from cnnviz.lectures.topics import activation_spread

    return activation_spread()


@_with_spinner(N_("Running the photo through EfficientNet-Lite0…"))
@st.cache_data(show_spinner=False, max_entries=16)
def topic_bottleneck_spectrum(photo: str):
    """On a sample photo, through the image lab's queue (``Busy`` is raised, not cached)."""
    from cnnviz.lectures.topics import bottleneck_spectrum

    return inference_queue().run(bottleneck_spectrum, classifier("efficientnet_lite0"), sample_photo(photo))


@_with_spinner(N_("Building the CIFAR ResNets on the meta device…"))
@st.cache_data(show_spinner=False)
def topic_cifar_resnets() -> list[dict]:
    from cnnviz.lectures.topics import cifar_resnet_rows

    return cifar_resnet_rows()


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)  # the page shows the spinner, translated
def ten_crop_prediction(name: str, photo_id: str, _image):
    """Keyed by the photo's digest; through the image lab's queue (``Busy`` is raised, not cached)."""
    from cnnviz.labs.regularisation import ten_crop_prediction as predict

    return inference_queue().run(predict, classifier(name), _image)

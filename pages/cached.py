"""The one place that defines the app's caches (shared across sessions and threads)."""

from __future__ import annotations

import streamlit as st

from cnnviz.analysis import Summary, summarize
from cnnviz.graph import layer_graph, svg
from cnnviz.registry import resolve
from cnnviz.source import model_sources


@st.cache_resource(show_spinner=False, max_entries=64)
def summary(model: str, input_size: int | None = None) -> Summary:
    """Read-only once cached: callers must not mutate it."""
    return summarize(resolve(model)[1], input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def graph_dot(model: str, input_size: int | None, unfold: tuple[str, ...] | bool) -> str:
    return layer_graph(summary(model, input_size), unfold).source


@st.cache_data(show_spinner="Rendering SVG…", max_entries=32)
def graph_svg(model: str, input_size: int | None, unfold: tuple[str, ...] | bool) -> bytes | None:
    return svg(layer_graph(summary(model, input_size), unfold))


@st.cache_data(show_spinner=False, max_entries=64)
def sources(model: str) -> list[tuple[str, str]]:
    return model_sources(summary(model, None))


@st.cache_data(show_spinner=False, max_entries=64)
def cost_chart(model: str, input_size: int | None) -> dict:
    """The figure as a dict: building plotly subplots costs more than the rest of the page."""
    from cnnviz.charts import cost_by_block

    return cost_by_block(summary(model, input_size)).to_plotly_json()


@st.cache_data(show_spinner=False, max_entries=64)
def block_dot(model: str, block: str) -> str:
    from cnnviz.graph import block_graph

    return block_graph(summary(model, None), block).source


@st.cache_data(show_spinner="Building the paper's version…", max_entries=16)
def departure_counts(arch: str) -> list[dict]:
    from cnnviz.paper_vs_impl import departures_for

    rows = []
    for departure in departures_for(arch):
        ours, paper = departure.build_implementation(), departure.build_paper()
        rows.append({"title": departure.title, "explanation": departure.explanation,
                     "implementation": departure.implementation, "paper": departure.paper,
                     "impl_params": ours.inference_params, "paper_params": paper.inference_params,
                     "impl_macs": ours.total_macs, "paper_macs": paper.total_macs})
    return rows


@st.cache_data(show_spinner=False, max_entries=32)
def checked_claims(arch: str) -> list[dict]:
    from cnnviz.notes_check import NOTES, claims_for

    return [{"notes": f"{c.notes} ({NOTES[c.notes]})", "quote": c.quote, "claimed": c.claimed,
             "computed": c.computed, "unit": c.unit, "correct": c.correct, "explanation": c.explanation}
            for c in claims_for(arch)]


# The comparison and transfer-learning pages.
@st.cache_data(show_spinner="Tracing every architecture…")
def compare_summary_table() -> list[dict]:
    from cnnviz.comparison import summary_table

    return summary_table()


@st.cache_data(show_spinner="Checking the notes' tables against the models…")
def compare_notes_verdicts() -> list[dict]:
    from cnnviz.comparison import notes_vs_ours, verdict_records

    return verdict_records(notes_vs_ours())


@st.cache_data(show_spinner=False)
def compare_winner_depths() -> dict[str, int]:
    from cnnviz.comparison import model_profile
    from cnnviz.ilsvrc import RESULTS

    return {entry.model: model_profile(entry.model).depth for entry in RESULTS if entry.model}


@st.cache_data(show_spinner="Tracing the torchvision classifiers…")
def compare_accuracy_points() -> list[dict]:
    from cnnviz.ilsvrc import accuracy_points

    return accuracy_points()


@st.cache_data(show_spinner="Building the model and setting requires_grad…", max_entries=64)
def transfer_freezing(model: str, mode: str, new_classes: int, top_stages: int) -> tuple[list[dict], dict]:
    from dataclasses import asdict

    from cnnviz.transfer_stages import freeze

    stages, freezing = freeze(model, mode, new_classes, top_stages)
    return [asdict(stage) for stage in stages], asdict(freezing)


# The image lab: one shared model instance per weights, inference through one bounded queue.
@st.cache_resource(show_spinner=False)
def inference_queue():
    from cnnviz.serving import InferenceQueue, configure_torch_threads

    configure_torch_threads()
    return InferenceQueue()


@st.cache_resource(show_spinner="Loading the pretrained network…", max_entries=12)
def classifier(name: str):
    """Shared by every session; raises ``WeightsUnavailable`` (not cached) while the file is missing."""
    from cnnviz.predict import load_classifier

    inference_queue()  # sets the torch thread count before the first model runs
    return load_classifier(name)


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600)
def image_predictions(name: str, photo_id: str, _image, k: int = 5) -> list[dict]:
    """Top-k of one photo, keyed by its digest (a hall on the same sample runs it once). ``Busy`` is
    raised, not cached: the page retries."""
    from dataclasses import asdict

    model = classifier(name)
    return [asdict(p) for p in inference_queue().run(model.predict, _image, k)]


@st.cache_resource(show_spinner="Building the network…", max_entries=4)  # VGG-19 alone is 550 MB
def inspected_model(name: str, pretrained: bool):
    """``pretrained`` is part of the key: a model whose weights arrive later is rebuilt with them."""
    from cnnviz.inside import from_classifier, with_random_weights

    return from_classifier(classifier(name)) if pretrained else with_random_weights(name)


@st.cache_data(show_spinner="Listing the layers…", max_entries=32)
def inspected_layers(name: str, pretrained: bool) -> list:
    from cnnviz.inside import layers

    return layers(inspected_model(name, pretrained))


@st.cache_data(show_spinner="Computing receptive fields…", max_entries=32)
def image_receptive_fields(name: str, input_size: int) -> list:
    from cnnviz.receptive_field import receptive_fields
    from cnnviz.registry import resolve

    return receptive_fields(resolve(name)[1], input_size)


@st.cache_data(show_spinner="Running the photo up to that layer…", max_entries=48, ttl=3600)
def image_feature_maps(name: str, pretrained: bool, photo_id: str, layer: str, _image):
    from cnnviz.inside import feature_maps

    return inference_queue().run(feature_maps, inspected_model(name, pretrained), _image, layer)


@st.cache_data(show_spinner="Back-propagating the top class (Grad-CAM)…", max_entries=48, ttl=3600)
def image_grad_cam(name: str, photo_id: str, layer: str, _image):
    from cnnviz.inside import grad_cam

    return inference_queue().run(grad_cam, inspected_model(name, True), _image, layer)


# The mini-trainings: small seeded runs, the same for every visitor.
def schedule_runs(names: tuple[str, ...], epochs: int, patience: int, warm_epochs: int) -> dict:
    """One cached run per schedule, keyed only by the settings that schedule uses."""
    return {name: schedule_run(name, epochs, patience if name in ("plateau", "warmup") else 0,
                               warm_epochs if name == "warmup" else 0) for name in names}


@st.cache_data(show_spinner="Training the small net under this schedule…", max_entries=96)
def schedule_run(name: str, epochs: int, patience: int, warm_epochs: int):
    from cnnviz.training.schedules import train_with_schedule

    return train_with_schedule(name, epochs, patience, warm_epochs)


# The concept labs: receptive fields by the recursion and by back-propagation, on registry models.
@st.cache_data(show_spinner="Tracing the receptive fields…", max_entries=64)
def lab_receptive_fields(model: str) -> list:
    from cnnviz.receptive_field import receptive_fields

    return receptive_fields(resolve(model)[1])


@st.cache_data(show_spinner="Back-propagating through the linearised model…", max_entries=64)
def lab_measured_field(model: str):
    from cnnviz.receptive_field import measured_receptive_field

    return measured_receptive_field(resolve(model)[1])


@st.cache_resource(show_spinner="Building the network…", max_entries=4)
def lab_erf_model(model: str):
    from cnnviz.labs.erf import build

    return build(model)


@st.cache_data(show_spinner=False, max_entries=8)
def lab_photo(name: str):
    from cnnviz.labs.erf import photo

    return photo(name)


@st.cache_data(show_spinner="Back-propagating from the unit…", max_entries=256)
def lab_effective_field(model: str, layer: str, photo_name: str, row: int, col: int):
    from cnnviz.labs.erf import effective_field

    return effective_field(lab_erf_model(model), model, layer, lab_photo(photo_name), row, col)

"""The attribution lab's caches, each job through the image lab's bounded inference queue, and its progress bars.

Every cache is keyed by the picture's digest (the session photo's ``id``, or an adversarial photo's), the model,
the class and the method's settings; a job's ``Busy`` is raised, not cached, and ``ui.busy.when_free`` retries.
The maps are computed on the picture the model sees (``Inspected.view``), passed along unhashed.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
import streamlit as st
from PIL import Image

from ui.cached.image_lab import inference_queue, inspected_model

_MAP_SIDE = 112  # the sanity check's maps are kept and compared at half the input's resolution


def _queued(function, *args, **kwargs):
    """``function`` through the image lab's queue; then the memory its gradients took goes back to the OS."""
    from cnnviz.imagelab.serving import release_freed_memory

    try:
        return inference_queue().run(function, *args, **kwargs)
    finally:
        release_freed_memory()


def _network(name: str):
    """A private pixel-space view of the shared pretrained model: each job hooks its own."""
    from cnnviz.imagelab.attribution import pixel_space

    return pixel_space(inspected_model(name, True))


def _pixels(view: Image.Image):
    from cnnviz.imagelab.attribution import to_pixels

    return to_pixels(view)


@contextlib.contextmanager
def progress_bar(text: str | None):
    """A progress bar, cleared when the job ends; yields the job's ``progress(share)`` (None without a text).

    Called inside the cached functions: Streamlit records what a cached function draws and replays it on a cache
    hit, which it can only do for elements the function itself created (a bar made outside could not be replayed).
    A hit replays the bar and its clearing: nothing shows. Updates are drawn at most ten times a second.
    """
    if text is None:
        yield None
        return
    slot, shown_at = st.empty(), [0.0]

    def progress(share: float) -> None:
        now = time.monotonic()
        if now - shown_at[0] >= 0.1 or share >= 1:
            shown_at[0] = now
            slot.progress(min(1.0, max(0.0, share)), text=text)

    try:
        yield progress
    finally:
        slot.empty()


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def class_probabilities(name: str, picture_id: str, _view: Image.Image) -> np.ndarray:
    """The softmax over the classes, for the class picker and the top-5 bars."""
    import torch

    def run():
        with torch.inference_mode():
            return torch.softmax(_network(name)(_pixels(_view))[0].double(), dim=0).numpy()

    return _queued(run)


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def attribution_map(name: str, picture_id: str, _view: Image.Image, target: int, method: str, cam_layer: str,
                    settings: tuple[tuple[str, int], ...], _progress_text: str | None = None):
    """One method's ``Attribution`` (``settings``: the method's own, e.g. (("patch", 56), ("stride", 24)))."""
    from cnnviz.imagelab.attribution import attribute

    with progress_bar(_progress_text) as progress:
        return _queued(lambda: attribute(_network(name), _pixels(_view), target, method,
                                                              cam_layer=cam_layer, progress=progress,
                                                              **dict(settings)))


def method_settings(method: str, patch: int, stride: int, steps: int) -> tuple[tuple[str, int], ...]:
    """The settings a method uses: the cache key leaves the others out."""
    return {"occlusion": (("patch", patch), ("stride", stride)), "integrated-gradients": (("steps", steps),)}.get(
        method, ())


@st.cache_data(show_spinner=False, max_entries=32)
def sanity_blocks(name: str) -> list:
    """The cascade's stages (``sanity.Stage``) of the pretrained model."""
    from cnnviz.imagelab.sanity import cascade

    return cascade(inspected_model(name, True).model)


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def sanity_stage(name: str, picture_id: str, _view: Image.Image, target: int, cam_layer: str, stage: int,
                 _progress_text: str | None = None) -> dict[str, np.ndarray]:
    """Every method's map at one stage of the cascade, at ``_MAP_SIDE`` pixels a side."""
    from cnnviz.imagelab.sanity import stage_maps

    def run(progress):
        maps = stage_maps(_network(name), _pixels(_view), target, sanity_blocks(name)[stage], cam_layer,
                          progress=progress)
        return {method: _shrunk(heatmap) for method, heatmap in maps.items()}

    with progress_bar(_progress_text) as progress:
        return _queued(run, progress)


def _shrunk(heatmap: np.ndarray) -> np.ndarray:
    factor = max(1, heatmap.shape[0] // _MAP_SIDE)
    height, width = (side // factor * factor for side in heatmap.shape)
    return heatmap[:height, :width].reshape(height // factor, factor, width // factor, factor).mean(axis=(1, 3))


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def attacked(name: str, picture_id: str, _view: Image.Image, attack: str, levels: int):
    """The ``adversarial.Attacked`` photo of the top-1 class."""
    from cnnviz.imagelab.adversarial import attacked as run

    return _queued(lambda: run(_network(name), _pixels(_view), attack, levels))


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def smallest_flip(name: str, picture_id: str, _view: Image.Image, attack: str, label: int,
                  _progress_text: str | None = None) -> int | None:
    from cnnviz.imagelab.adversarial import smallest_flip as run

    with progress_bar(_progress_text) as progress:
        return _queued(lambda: run(_network(name), _pixels(_view), label, attack,
                                                        progress=progress))


@st.cache_data(show_spinner=False, max_entries=64)
def channel_picture(name: str, layer: str, channel: int, _progress_text: str | None = None) -> np.ndarray:
    from cnnviz.imagelab.channel_wants import visualise_channel

    inspected = inspected_model(name, True)
    spec = inspected.preprocessing
    with progress_bar(_progress_text) as progress:
        return _queued(visualise_channel, inspected.model, spec.mean, spec.std, layer,
                                            channel, progress=progress)


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def channel_patches(name: str, picture_ids: tuple[str, ...], _views: dict, layer: str, channel: int, _field) -> list:
    """The strongest unit's patch on each picture (``channel_wants.Patch``), strongest first."""
    from cnnviz.imagelab.channel_wants import strongest_patches

    inspected = inspected_model(name, True)
    spec = inspected.preprocessing
    return _queued(strongest_patches, inspected.model, spec.mean, spec.std, _views, layer,
                                        channel, _field)

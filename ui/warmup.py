"""The server's warm-up: after the first page is drawn, every page's first view is computed in the background
(at a lower CPU priority), so that a class clicking through the app finds the caches warm."""

from __future__ import annotations

import importlib
import logging
from functools import partial

from cnnviz import i18n
from cnnviz.warmup import settle, start_background_imports, started
from cnnviz.zoo.registry import architectures


def start() -> None:
    """Idempotent. The views are computed in the language of the session that starts it (the instructor's).
    Under AppTest (the test suite) only the imports run: each test run has caches of its own."""
    from streamlit import config

    if started():  # every run calls this: after the first, there is nothing to build
        return
    settle()  # the server's first run is over: what it imported stays, and later runs' collections skip it
    steps = [] if config.get_option("global.appTest") else _steps()
    # The cached calls ask for a session they do not need; Streamlit would log a warning for each one.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_not_the_warm_up)
    start_background_imports([partial(_in_language, i18n.current(), step) for step in steps])


def _not_the_warm_up(record: logging.LogRecord) -> bool:
    return record.threadName != "cnnviz-warmup"


def _in_language(language: str, step) -> None:
    i18n.use(language)
    step()


def _steps() -> list:
    """Each step imports what it needs when it runs: this list is built in the visitor's run, torch is not."""
    steps = [_emoji_pattern] + [partial(_architecture, key) for key in architectures()]
    steps += [_compare, _your_network, _topics, _schedules, _image_lab, _transfer_learning, _receptive_fields,
              _inside_the_network, _regularisation, _attribution_lab, _designer, _sandbox]
    return steps


def _sandbox() -> None:
    """The fork server that reads uploads (``cnnviz.sandbox``) imports torch and onnx once: before a first upload."""
    from cnnviz import sandbox

    sandbox.start()


def _designer() -> None:
    """The designer's first view: its default design (LeNet-5) counted, with its layer graph, cost chart and walk;
    and the digits its training tab reads (scikit-learn's import and the scans)."""
    from cnnviz.training.data import digits_scanned
    from ui import cached
    from ui.designer import DEFAULT

    language = i18n.current()
    cached.design_report(DEFAULT)
    cached.design_graph_dot(DEFAULT, language)
    cached.design_cost_chart(DEFAULT, language)
    cached.design_walk(DEFAULT, language)
    digits_scanned()


def _emoji_pattern() -> None:
    """Streamlit compiles its emoji pattern (0.25 s) the first time an alert or a button shows a text that is not
    ASCII, as every Chinese or Korean one is: here, instead of in a Chinese or Korean visitor's page."""
    importlib.import_module("streamlit.emojis")


def _first_photo():
    """The photo every image page shows first: the first sample."""
    from cnnviz.imagelab.samples import SAMPLES, sample_bytes
    from ui.photo import decoded

    first = next(iter(SAMPLES))
    return decoded(first, sample_bytes(first))


def _architecture(key: str) -> None:
    from ui import architecture

    architecture.warm(key)


def _compare() -> None:
    from ui import cached

    cached.compare_summary_table(i18n.current())


def _your_network() -> None:
    """The default timm architecture, traced on the meta device."""
    from ui import cached
    from ui.any_network import DEFAULT_MODEL

    cached.timm_network(DEFAULT_MODEL, None)


def _topics() -> None:
    """The lecture topics on the architecture pages (He initialisation, CIFAR ResNets): folded there, and ready
    when a student opens one."""
    from ui import cached

    cached.topic_activation_spread()
    cached.topic_cifar_resnets()


def _schedules() -> None:
    from cnnviz.training import schedules
    from ui import cached

    for name in (*schedules.SCHEDULES, *schedules.OPTIMISERS):  # the page's defaults, one cached run each
        used = schedules.used_settings(name, schedules.Settings())
        cached.schedule_run(name, used.epochs, used.patience, used.warm_epochs)


def _image_lab() -> None:
    """The image lab's default network, loaded once for every page that shows it, and its top-5 of the first photo
    (which also prepares its fast engine)."""
    from cnnviz.imagelab.predict import DEFAULT_MODEL
    from ui import cached

    cached.classifier(DEFAULT_MODEL)
    cached.pretrained_or_random(DEFAULT_MODEL)
    photo = _first_photo()
    cached.image_predictions(DEFAULT_MODEL, photo.id, photo.image)


def _transfer_learning() -> None:
    """The stages and the frozen share of every network the page offers, in its first mode with 10 new classes."""
    from cnnviz.lectures.transfer_stages import MODES, PRETRAINED_NETWORKS
    from ui import cached

    first_mode = next(iter(MODES))
    for model in PRETRAINED_NETWORKS:
        cached.transfer_stages(model)
        cached.transfer_freezing(model, first_mode, 10, 1 if first_mode == "top" else 0)


def _receptive_fields() -> None:
    """The receptive-field lab's growth chart: the fields of its first five models."""
    from cnnviz.analysis.receptive_field.recursion import GROWTH_MODELS
    from ui import cached

    for model in GROWTH_MODELS:
        cached.receptive_fields(model)


def _inside_the_network() -> None:
    """Its first tab: the default network's feature maps of the first photo at the default layer, and their figure."""
    from cnnviz.imagelab.inside import CHANNELS_FIRST, default_map_layer
    from cnnviz.imagelab.predict import DEFAULT_MODEL
    from ui import cached

    photo = _first_photo()
    inspected, _error = cached.pretrained_or_random(DEFAULT_MODEL)
    layer = default_map_layer(cached.inspected_layers(DEFAULT_MODEL), inspected.preprocessing.crop)
    maps = cached.image_feature_maps(DEFAULT_MODEL, inspected.pretrained, photo.id, layer, photo.image)
    cached.image_feature_grid(DEFAULT_MODEL, inspected.pretrained, photo.id, layer, CHANNELS_FIRST, maps)


def _regularisation() -> None:
    """The regularisation lab's ten crops of the first photo (ten forward passes)."""
    from cnnviz.imagelab.predict import DEFAULT_MODEL
    from ui import cached

    photo = _first_photo()
    cached.ten_crop_prediction(DEFAULT_MODEL, photo.id, photo.image)


def _attribution_lab() -> None:
    """The six maps of the first sample photo, for its top-1 class, with the page's default settings."""
    from cnnviz.imagelab.attribution import IG_STEPS, METHODS, OCCLUSION_PATCH, OCCLUSION_STRIDE
    from cnnviz.imagelab.inside import default_cam_layer
    from cnnviz.imagelab.predict import DEFAULT_MODEL
    from ui import cached
    from ui.cached import attribution

    photo = _first_photo()
    inspected, _error = cached.pretrained_or_random(DEFAULT_MODEL)
    view = inspected.view(photo.image)
    target = int(attribution.class_probabilities(DEFAULT_MODEL, photo.id, view).argmax())
    cam_layer = default_cam_layer(cached.inspected_layers(DEFAULT_MODEL))
    for method in METHODS:
        settings = attribution.method_settings(method, OCCLUSION_PATCH, OCCLUSION_STRIDE, IG_STEPS)
        attribution.attribution_map(DEFAULT_MODEL, photo.id, view, target, method, cam_layer, settings)

"""The server's warm-up: after the first page is drawn, every page's first view is computed in the background
(at a lower CPU priority), so that a class clicking through the app finds the caches warm."""

from __future__ import annotations

import logging
from functools import partial

from cnnviz import i18n
from cnnviz.warmup import start_background_imports, started
from cnnviz.zoo.registry import architectures


def start() -> None:
    """Idempotent. The views are computed in the language of the session that starts it (the instructor's).
    Under AppTest (the test suite) only the imports run: each test run has caches of its own."""
    from streamlit import config

    if started():  # every run calls this: after the first, there is nothing to build
        return
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
    steps = [partial(_architecture, key) for key in architectures()]
    steps += [_compare, _topics, _schedules, _image_lab]
    return steps


def _architecture(key: str) -> None:
    from ui import architecture

    architecture.warm(key)


def _compare() -> None:
    from ui import cached

    cached.compare_summary_table(i18n.current())


def _topics() -> None:
    """The lecture topics on the architecture pages (He initialisation, CIFAR ResNets)."""
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
    """The image lab's default network, loaded once for every page that shows it."""
    from cnnviz.imagelab.predict import DEFAULT_MODEL
    from ui import cached

    cached.classifier(DEFAULT_MODEL)
    cached.pretrained_or_random(DEFAULT_MODEL)

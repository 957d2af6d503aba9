"""Reading transfer-learning results (bundled or live, as dicts): what the page compares and tabulates."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.i18n import N_

_TINY = 1e-9  # seconds: keeps a ratio finite when a run was too quick for the clock


@dataclass(frozen=True)
class ModeComparison:
    """The best mode, and the frozen encoder against the other two modes where they were run."""

    best: dict
    frozen_minus_scratch: float | None = None  # test accuracy, percentage points
    frozen_time_share: float | None = None  # frozen's training time over scratch's
    finetune_minus_frozen: float | None = None  # test accuracy, percentage points
    finetune_time_multiple: float | None = None  # finetune's training time over frozen's


def compare_modes(runs: list[dict]) -> ModeComparison:
    by_mode = {run["mode"]: run for run in runs}
    points = lambda a, b: 100 * (by_mode[a]["test_accuracy"] - by_mode[b]["test_accuracy"])  # noqa: E731
    time = lambda a, b: by_mode[a]["seconds"] / max(by_mode[b]["seconds"], _TINY)  # noqa: E731
    found = {}
    if {"frozen", "scratch"} <= by_mode.keys():
        found.update(frozen_minus_scratch=points("frozen", "scratch"), frozen_time_share=time("frozen", "scratch"))
    if {"frozen", "finetune"} <= by_mode.keys():
        found.update(finetune_minus_frozen=points("finetune", "frozen"),
                     finetune_time_multiple=time("finetune", "frozen"))
    return ModeComparison(max(runs, key=lambda run: run["test_accuracy"]), **found)


def table_rows(runs: list[dict], titles: dict[str, str]) -> list[dict]:
    """One row per mode (named by ``titles``): accuracies in %, training time and trainable parameters. The column
    names are marked texts: a page translates them where it shows the table."""
    return [{N_("mode"): titles[run["mode"]], N_("test accuracy (%)"): round(100 * run["test_accuracy"], 1),
             N_("best validation accuracy (%)"): round(100 * max(run["val_accuracy"]), 1),
             N_("training time (s)"): round(run["seconds"], 1),
             N_("trainable parameters"): run["trainable_params"]} for run in runs]


def accuracy_points(bundle: dict) -> list[dict]:
    """(mode, images per class, test accuracy) for the main comparison and each smaller training set."""
    entries = bundle.get("by_size", []) + [{"per_class": bundle["config"]["per_class"], "runs": bundle["runs"]}]
    return [{"mode": run["mode"], "per_class": entry["per_class"], "test_accuracy": run["test_accuracy"]}
            for entry in entries for run in entry["runs"]]


def fewest_images(bundle: dict) -> tuple[int, dict[str, float]]:
    """The smallest training set's images per class, and each mode's test accuracy with it."""
    fewest = min(bundle["by_size"], key=lambda entry: entry["per_class"])
    return fewest["per_class"], {run["mode"]: run["test_accuracy"] for run in fewest["runs"]}

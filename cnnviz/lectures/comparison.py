"""The lecture notes' summary tables ("CNN 架构总结") computed for every architecture, and each number the notes
print there checked against our computation (``notes_vs_ours``). Conventions: ``cnnviz.lectures.profiles``.

The records' keys are stable ids (a page names its columns with ``COLUMNS``); their texts are in the session's
language, so a cache of them is keyed by it."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

import torch
from torch import nn

from cnnviz.analysis.summary import Summary, summarize_model, summary_of
from cnnviz.i18n import N_, _
from cnnviz.lectures.course_notes import quoted
from cnnviz.lectures.notes_tables import LABELS, TABLES, WRITTEN, Table
from cnnviz.lectures.profiles import Profile, profile
from cnnviz.zoo.registry import architectures, resolve

# The notes' table lists these variants next to the default ones.
EXTRA_VARIANTS = {"vgg16": ("vgg19",), "resnet50": ("resnet18", "resnet34")}

# The column headers of the records below, as a page shows them (``_(COLUMNS[key])``).
COLUMNS = {
    "architecture": N_("architecture"), "model": N_("model"), "year": N_("year"), "single path": N_("single path"),
    "kernels ≤ 3 only": N_("kernels ≤ 3 only"), "largest kernel": N_("largest kernel"), "depth": N_("depth"),
    "conv layers": N_("conv layers"), "FC layers": N_("FC layers"), "input": N_("input"),
    "parameters": N_("parameters"), "MiB": "MiB", "MACs": N_("MACs"), "filter sizes": N_("filter sizes"),
    "channels": N_("channels"), "filters": N_("filters"), "strides": N_("strides"),
    "training-only parameters": N_("training-only parameters"),
    "table": N_("table"), "column": N_("column"), "row": N_("row"), "notes": N_("notes"), "ours": N_("ours"),
    "verdict": N_("verdict"), "explanation": N_("explanation"), "all readings": N_("all readings"),
}


def yes_no(value: str) -> str:
    """A profile's "yes" or "no" in the session's language; any other value as it is."""
    return _(value) if value in ("yes", "no") else value


def model_summary(name: str) -> Summary:
    return summary_of(name)


def model_profile(name: str) -> Profile:
    return profile(model_summary(name), resolve(name)[1].auxiliary)


def summary_table() -> list[dict]:
    """The notes' summary columns for every architecture's default variant (and VGG-19, ResNet-18/34); the
    words in the session's language."""
    records = []
    for key, arch in architectures().items():
        for name in (arch.default.name, *EXTRA_VARIANTS.get(key, ())):
            p = model_profile(name)
            label = arch.title if name == arch.default.name else resolve(name)[1].label
            shown_input = p.input if p.images == 1 else _("{size} (x{images} images)").format(size=p.input,
                                                                                               images=p.images)
            records.append({
                "architecture": _(label), "model": name, "year": arch.year, "single path": yes_no(p.single_path),
                "kernels ≤ 3 only": yes_no(p.small_kernels), "largest kernel": p.largest_kernel, "depth": p.depth,
                "conv layers": p.conv_layers, "FC layers": p.fc_layers, "input": shown_input,
                "parameters": p.total_weights, "MiB": round(p.mib, 1), "MACs": p.total_macs,
                "filter sizes": p.filter_sizes, "channels": p.channels, "filters": p.filters,
                "strides": p.strides, "training-only parameters": p.aux_weights})
    return records


def caffe_lenet() -> nn.Module:
    """Caffe's MNIST LeNet (examples/mnist/lenet.prototxt), half of what TABLE II's LeNet column describes."""
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def _paper_version(name: str) -> Profile:
    """The paper's version of ``name``, as the architecture page's "paper vs implementation" builds it."""
    from cnnviz.lectures.paper_vs_impl import departures_for

    return profile(departures_for(name)[0].build_paper(), resolve(name)[1].auxiliary)


def _with_aux(profile_: Profile) -> Profile:
    return replace(profile_, total_weights=profile_.total_weights + profile_.aux_weights)


def _with_bn_statistics(name: str) -> Profile:
    model = resolve(name)[1].build_on_meta()
    running = sum(b.numel() for key, b in model.named_buffers() if key.endswith(("running_mean", "running_var")))
    return replace(model_profile(name), total_weights=model_profile(name).total_weights + running)


def _lenet_paper() -> Profile:
    from cnnviz.lectures.paper_vs_impl import departures_for

    sparse = profile(departures_for("lenet5")[0].build_paper(), drop_output=True)
    # The sparse C3 is built as 16 one-map convolutions, but it is one layer of 16 filters, as in LeNet-5.
    full = model_profile("lenet5")
    return replace(sparse, conv_layers=full.conv_layers, conv_depth=full.conv_depth, channels=full.channels,
                   filters=full.filters)


def _caffe_lenet() -> Profile:
    with torch.device("meta"):
        model = caffe_lenet()
    return profile(summarize_model(model, (torch.zeros(1, 1, 28, 28, device="meta"),), "caffe_lenet"))


_BUILT = {
    "lenet5_paper": _lenet_paper, "caffe_lenet": _caffe_lenet,
    "googlenet_aux": lambda: _with_aux(model_profile("googlenet")),
    "googlenet_paper": lambda: _paper_version("googlenet"),
    "googlenet_paper_aux": lambda: _with_aux(reading("googlenet_paper")),
    "resnet50_v1": lambda: _paper_version("resnet50"),
    "densenet121_bn_stats": lambda: _with_bn_statistics("densenet121"),
}


@functools.cache
def reading(key: str) -> Profile:
    """A model the notes' tables describe: a registry model, or one of the versions in ``_BUILT``."""
    return _BUILT[key]() if key in _BUILT else model_profile(key)


class _Readings(dict):
    def __missing__(self, key: str) -> Profile:
        return reading(key)


@dataclass(frozen=True)
class Verdict:
    """One cell of the notes' tables; its texts in the session's language (``table`` and ``row`` as printed, with
    their translation beside them where one is due)."""

    table: str
    column: str
    row: str
    written: str  # as printed
    claimed: float | str
    values: tuple[tuple[str, float | str], ...]  # (reading label, computed), our default model first
    matched: str | None  # the first reading that gives the notes' number, None if none does
    reason: str

    @property
    def flagged(self) -> bool:
        """The notes' number is not what our default model gives, to the precision the notes wrote."""
        return self.matched != self.values[0][0]


_NUMBER = re.compile(r"^([\d.]+)\s*([kMG]?)(B?)$")
_SCALE = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}


def parse_number(written: str) -> tuple[float, float]:
    """"3.86G" -> (3.86e9, 0.01e9): the value and one unit of its last written digit ("233 MB" is in MiB)."""
    number, prefix, mib = _NUMBER.match(written.strip()).groups()
    scale = 1 if mib else _SCALE[prefix]
    decimals = len(number.split(".")[1]) if "." in number else 0
    return float(number) * scale, 10.0 ** -decimals * scale


def within_rounding(computed: float, written: str) -> bool:
    """Rounded or truncated to the digits the notes wrote, ``computed`` reads as ``written``."""
    claimed, unit = parse_number(written)
    return abs(computed - claimed) <= unit / 2 * (1 + 1e-9) or 0 <= computed - claimed < unit


def _claimed_text(written: str) -> str:
    """"是" -> "yes", "非常深(34-152 层)" -> "34-152", "28×28" -> "28x28", "1, 20" -> "1,20"."""
    answers = re.findall(r"[是否]", written)
    if answers:
        return "yes" if answers[-1] == "是" else "no"
    layers = re.search(r"\(([\d-]+) 层\)", written)
    return layers.group(1) if layers else written.replace("×", "x").replace(" ", "")


def _value(spec: str, attribute: str) -> tuple[str, float | str] | None:
    models, _sep, override = spec.partition(":")
    row, _sep, other = override.partition("=")
    if override and row != attribute:
        return None
    names = models.split("+")
    values = [getattr(reading(m), other or attribute) for m in names]
    label = _(LABELS[names[0]]) if len(names) == 1 else _("{first} to {last}").format(first=_(LABELS[names[0]]),
                                                                                        last=_(LABELS[names[-1]]))
    if other:
        label = _("{model} after its stem").format(model=label)
    return label, values[0] if len(set(values)) == 1 else "-".join(map(str, values))


def table_title(table: Table) -> str:
    """"CNN 架构总结 (summary of CNN architectures) · structure" in English, "CNN 架构总结 · 结构" in Chinese."""
    title = quoted(table.title, table.english or None)
    return _("{table} · {part}").format(table=title, part=_(table.part)) if table.part else title


def check(table: Table) -> list[Verdict]:
    verdicts = []
    title = table_title(table)
    for column in table.columns:
        for (row, english, attribute), written in zip(table.rows, column.written):
            if not written:
                continue
            values = tuple(v for spec in column.readings if (v := _value(spec, attribute)))
            numeric = not isinstance(values[0][1], str) and _NUMBER.match(written.strip()) is not None
            claimed = parse_number(written)[0] if numeric else _claimed_text(written)
            matched = next((label for label, value in values
                            if (within_rounding(value, written) if numeric else str(value) == claimed)), None)
            why = table.why.get((column.name, attribute), "")
            why = _(why).format_map(_Readings()) if why else ""
            if matched and matched != values[0][0]:
                why = (_("Matches {reading}. {explanation}").format(reading=matched, explanation=why) if why
                       else _("Matches {reading}.").format(reading=matched))
            shown = quoted(row, english or None)
            if attribute in table.parts:  # a row name printed in two parts of the table: which one
                shown = _("{part} · {row}").format(part=table.parts[attribute], row=shown)
            verdicts.append(Verdict(title, column.name, shown, written, claimed, values, matched, why))
    return verdicts


def notes_vs_ours() -> list[Verdict]:
    """Every cell of the notes' summary tables next to our computation of it."""
    return [verdict for table in TABLES for verdict in check(table)]


def _shown(value: float | str, written: str) -> str:
    """A computed number in the notes' unit: 4089184256 for "3.86G" -> "4.089 G"; 25.27 for "51 MB" -> "25.27 MiB"."""
    if isinstance(value, str) or not _NUMBER.match(written.strip()):
        return yes_no(str(value))
    _number, prefix, mib = _NUMBER.match(written.strip()).groups()
    if mib:
        return f"{value:.2f} MiB"
    return f"{value / _SCALE[prefix]:.4g} {prefix}".strip() if prefix else f"{value:,}"


def verdict_records(verdicts: list[Verdict]) -> list[dict]:
    """One display row per cell of the notes' tables, in the session's language: the notes' cell as printed, with
    its translation where one is due. ``another model``: the notes' number is another reading's."""
    return [{"table": v.table, "column": v.column, "row": v.row, "notes": quoted(v.written, WRITTEN.get(v.written)),
             "ours": _shown(v.values[0][1], v.written), "flagged": v.flagged,
             "another model": bool(v.flagged and v.matched),
             "verdict": _("matches") if not v.flagged else (_("another model") if v.matched else _("differs")),
             "explanation": v.reason,
             "all readings": "; ".join(_("{reading}: {value}").format(reading=label, value=_shown(value, v.written))
                                       for label, value in v.values)}
            for v in verdicts]

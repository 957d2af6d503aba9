"""A design counted like every registry model: built on the ``meta`` device and traced (``analysis.summary``) for
parameters, MACs and activations, with the notes' receptive-field recursion for field and jump. Where a layer
breaks the network, the layers before it are counted and the mistake is reported at its layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnviz.analysis.receptive_field.recursion import LayerRF
from cnnviz.analysis.summary import Summary
from cnnviz.designer.build import Planned, module_of, plan
from cnnviz.designer.check import Problem, Shaped, shapes
from cnnviz.designer.design import Design

NAME = "design"


@dataclass(frozen=True)
class DesignRow:
    """One layer of the design with its numbers (a span start has none of its own; an add holds its projection)."""

    number: int
    kind: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int
    activations: int
    rf: int | None  # after this layer, None once the maps are flattened
    jump: float | None
    modules: tuple[str, ...]  # its rows' names in the summary


@dataclass
class DesignReport:
    design: Design
    rows: list[DesignRow]  # the layers before the first blocking mistake
    problem: Problem | None
    summary: Summary | None = None  # of the counted layers; None for no layers
    fields: list[LayerRF] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return len(self.rows)

    @property
    def runs(self) -> bool:
        """The whole design builds and runs (it may still not end in one value per class)."""
        return self.problem is None or not self.problem.blocking

    @property
    def total_params(self) -> int:
        return self.summary.total_params if self.summary else 0

    @property
    def total_macs(self) -> int:
        return self.summary.total_macs if self.summary else 0

    @property
    def total_activations(self) -> int:
        return self.summary.total_activations if self.summary else 0

    @property
    def receptive_field(self) -> int:
        """The widest field of any map before global pooling (the last convolutional stage's): 1 with none."""
        spatial = [f.rf for f in self.fields if not f.global_pool]
        return max(spatial, default=1)


def _names(items: list[Planned], prefix: str = "") -> dict[int, list[str]]:
    """Design layer number -> the qualified names of its modules (a block's number gets the block's name)."""
    found: dict[int, list[str]] = {}
    for item in items:
        name = prefix + item.name
        if item.block:
            found.setdefault(item.number, []).append(name)
            for number, names in _names(item.body, name + ".body.").items():
                found.setdefault(number, []).extend(names)
            for number, names in _names(item.shortcut, name + ".shortcut.").items():
                found.setdefault(number, []).extend(names)
            for index, branch in enumerate(item.branches):
                for number, names in _names(branch, f"{name}.branches.{index}.").items():
                    found.setdefault(number, []).extend(names)
        else:
            found.setdefault(item.number, []).append(name)
    return found


def _closers(items: list[Planned], prefix: str = "") -> dict[int, str]:
    """An add's or concatenation's number -> its block's qualified name."""
    found = {}
    for item in items:
        if item.block:
            found[item.closer] = prefix + item.name
            found |= _closers(item.body, prefix + item.name + ".body.")
            for index, branch in enumerate(item.branches):
                found |= _closers(branch, f"{prefix}{item.name}.branches.{index}.")
    return found


def analyse(design: Design) -> DesignReport:
    """Shapes by formula, then the runnable layers built on ``meta`` and traced; never raises for a design that
    reads (every mistake is the report's ``problem``)."""
    shaped, problem = shapes(design)
    report = DesignReport(design, [], problem)
    if not shaped:
        return report
    planned = plan(design, len(shaped))
    if not planned:  # only span starts so far
        report.rows = [DesignRow(n, design.layers[n - 1].kind, s.input, s.output, 0, 0, 0, 1, 1.0, ())
                       for n, s in enumerate(shaped, start=1)]
        return report
    summary, fields = _traced(planned, design)
    report.summary, report.fields = summary, fields
    report.rows = _rows(design, shaped, planned, summary, fields)
    return report


def _traced(planned: list[Planned], design: Design) -> tuple[Summary, list[LayerRF]]:
    import torch

    from cnnviz.analysis.receptive_field.recursion import model_receptive_fields
    from cnnviz.analysis.summary import summarize_model
    from cnnviz.zoo.meta_build import on_meta

    with on_meta():
        model = module_of(planned).eval()
    inputs = (torch.zeros(1, design.channels, design.side, design.side, device="meta"),)
    return summarize_model(model, inputs, NAME), model_receptive_fields(model, inputs)


def _rows(design: Design, shaped: list[Shaped], planned: list[Planned], summary: Summary,
          fields: list[LayerRF]) -> list[DesignRow]:
    names = _names(planned)
    closers = _closers(planned)
    by_name = {row.name: row for row in summary.layers}
    field_of = {f.name: f for f in reversed(fields)}
    joins = {n.name: n for n in summary.nodes if n.module is None}
    rows, rf, jump = [], 1, 1.0
    at_span_start: list[tuple[int, float]] = []  # the field and jump where each open span starts
    for number, shape in enumerate(shaped, start=1):
        layer = design.layers[number - 1]
        own = [name for name in names.get(number, []) if name in by_name]
        if layer.kind == "span":
            at_span_start.append((rf, jump))
        elif layer.kind == "branch" and at_span_start:  # the next branch starts from the span's input
            rf, jump = at_span_start[-1]
        elif layer.kind in ("add", "concat") and at_span_start:
            at_span_start.pop()
        if layer.kind in ("add", "concat") and number in closers:
            block = closers[number]
            own = [name for name in by_name if name.startswith(block + ".shortcut.")]
            join = next((n for n in joins if n.rsplit(".", 1)[0] == block), None)
            if join in field_of:
                rf, jump = field_of[join].rf, field_of[join].jump
        for name in own:
            if name in field_of:
                rf, jump = field_of[name].rf, field_of[name].jump
        flat = len(shape.output) == 1
        rows.append(DesignRow(
            number, layer.kind, shape.input, shape.output,
            params=sum(by_name[n].params for n in own), macs=sum(by_name[n].macs for n in own),
            activations=sum(by_name[n].activations for n in own),
            rf=None if flat else rf, jump=None if flat else jump, modules=tuple(own)))
    return rows

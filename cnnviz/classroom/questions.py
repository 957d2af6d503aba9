"""What a class is asked, and how an answer is graded.

A question is stored as a small JSON spec, never as text in one language: each student's page builds it again
(``build``) and shows it in that student's language. The kinds:

- ``layer``: a layer of a registry architecture's walk step (``from_step``): its output width, parameters, MACs,
  receptive field or jump, with the "Check yourself" quiz's answer, worked solution and named slips
  (``cnnviz.lectures.quiz``).
- ``output_size``: the output-size calculator's W, F, P, S.
- ``bottleneck``: the weights of a 1x1 reduction followed by a k x k convolution (the bottleneck lab).
- ``number`` and ``choice``: the instructor's own question, a number or one of a few choices, shown as plain text.

``validate`` checks a spec's every field (an instructor's typing as much as a stored row) and ``parse`` a student's
answer; both raise ``Invalid`` with a message for the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from cnnviz.analysis import conv_arithmetic as arithmetic
from cnnviz.i18n import N_, _
from cnnviz.lectures.quiz import SLIPS, LayerQuestion

LAYER_ASKS = ("output", "params", "macs", "field", "jump")  # what a walk step's layer is asked about
KINDS = ("layer", "output_size", "bottleneck", "number", "choice")
TEXT_MAX = 300  # characters of an instructor's question
CHOICE_MAX = 80  # characters of one choice
CHOICES = (2, 6)  # fewest and most choices
NUMBER_MAX = 10 ** 15  # the largest answer a student may give (MACs of the biggest models are ~10^10)
SIZE_MAX, CHANNELS_MAX = 4096, 8192
BOTTLENECK_SLIPS = {
    "no_reduction": N_("counted the big convolution alone"),
    "reduction_missing": N_("forgot the 1x1 layer"),
}
OTHER = "other"  # a wrong answer that no named slip explains
SLIP_NAMES = {**SLIPS, **BOTTLENECK_SLIPS, OTHER: N_("other answers")}


class Invalid(ValueError):
    """A spec or an answer that cannot be taken; ``str()`` is an English template, ``text()`` its translation."""

    def __init__(self, message: str, **values):
        super().__init__(message)
        self.message, self.values = message, values

    def text(self) -> str:
        return _(self.message).format(**self.values)


@dataclass(frozen=True)
class Grade:
    correct: bool
    slip: str | None  # a name in SLIP_NAMES for a wrong answer, else None


def slip_name(slip: str) -> str:
    return _(SLIP_NAMES.get(slip, SLIP_NAMES[OTHER]))


# --- specs --------------------------------------------------------------------------------------------------------

def _whole(spec: dict, name: str, low: int, high: int) -> int:
    value = spec.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(N_("{name} must be a whole number from {low} to {high}."), name=name, low=low, high=high)
    return value


def _text(spec: dict, name: str, most: int) -> str:
    value = spec.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > most:
        raise Invalid(N_("The question's text must be 1 to {most} characters."), most=most)
    return " ".join(value.split())  # one line: the text is shown as plain text


def _number(value, name: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > NUMBER_MAX:
        raise Invalid(N_("{name} must be a number between -{most} and {most}."), name=name, most=f"{NUMBER_MAX:.0e}")
    return value


def validate(spec: dict) -> dict:
    """The spec with its values checked and normalised; Invalid for anything out of place."""
    if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
        raise Invalid(N_("Unknown kind of question."))
    kind = spec["kind"]
    if kind == "layer":
        layer = spec.get("layer")
        if not isinstance(layer, dict) or spec.get("ask") not in LAYER_ASKS:
            raise Invalid(N_("Unknown kind of question."))
        question = _layer_question(layer)
        if spec["ask"] in ("field", "jump") and not question.has_field:
            raise Invalid(N_("This layer has no receptive-field question."))
        source = spec.get("source") or {}
        clean_source = {"model": str(source.get("model", ""))[:40], "variant": str(source.get("variant", ""))[:60],
                        "step": _whole(source, "step", 1, 10_000) if "step" in source else None,
                        "title": str(source.get("title", ""))[:80]}
        return {"kind": kind, "ask": spec["ask"], "layer": _layer_fields(question), "source": clean_source}
    if kind == "output_size":
        values = {"W": _whole(spec, "W", 1, SIZE_MAX), "F": _whole(spec, "F", 1, 64),
                  "P": _whole(spec, "P", 0, 64), "S": _whole(spec, "S", 1, 64)}
        if values["W"] + 2 * values["P"] < values["F"]:
            raise Invalid(N_("The kernel is larger than the padded input: W + 2P must be at least F."))
        return {"kind": kind, **values}
    if kind == "bottleneck":
        return {"kind": kind, "c_in": _whole(spec, "c_in", 1, CHANNELS_MAX),
                "reduce": _whole(spec, "reduce", 1, CHANNELS_MAX), "c_out": _whole(spec, "c_out", 1, CHANNELS_MAX),
                "kernel": _whole(spec, "kernel", 1, 15)}
    text = _text(spec, "text", TEXT_MAX)
    if kind == "number":
        answer = _number(spec.get("answer"), "answer")
        tolerance = abs(_number(spec.get("tolerance", 0), "tolerance"))
        return {"kind": kind, "text": text, "answer": answer, "tolerance": tolerance}
    choices = spec.get("choices")
    if not isinstance(choices, list) or not CHOICES[0] <= len(choices) <= CHOICES[1]:
        raise Invalid(N_("Give {fewest} to {most} choices."), fewest=CHOICES[0], most=CHOICES[1])
    cleaned = []
    for choice in choices:
        if not isinstance(choice, str) or not choice.strip() or len(choice) > CHOICE_MAX:
            raise Invalid(N_("Each choice must be 1 to {most} characters."), most=CHOICE_MAX)
        cleaned.append(" ".join(choice.split()))
    right = _whole(spec, "right", 0, len(cleaned) - 1)
    return {"kind": kind, "text": text, "choices": cleaned, "right": right}


_LAYER_FIELDS = [f.name for f in fields(LayerQuestion)]


def _layer_fields(question: LayerQuestion) -> dict:
    return {name: getattr(question, name) for name in _LAYER_FIELDS}


def _layer_question(layer: dict) -> LayerQuestion:
    numbers = {"in_size": (1, SIZE_MAX), "in_channels": (1, CHANNELS_MAX), "filters": (1, CHANNELS_MAX),
               "kernel": (1, 64), "stride": (1, 64), "padding": (0, 64), "groups": (1, CHANNELS_MAX),
               "dilation": (1, 64)}
    values = {name: _whole(layer, name, *bounds) for name, bounds in numbers.items()}
    for name in ("padding_after", "field_in", "jump_in"):
        if layer.get(name) is not None:
            values[name] = _whole(layer, name, 0 if name == "padding_after" else 1, 10 ** 6)
    for name in ("pooling", "bias", "ceil_mode", "average"):
        if not isinstance(layer.get(name, False), bool):
            raise Invalid(N_("Unknown kind of question."))
        values[name] = layer.get(name, False)
    if values["in_channels"] % values["groups"]:
        raise Invalid(N_("The groups must divide the input channels."))
    question = LayerQuestion(**values)
    if question.output_size < 1:
        raise Invalid(N_("The kernel is larger than the padded input: W + 2P must be at least F."))
    return question


def from_step(model: str, variant: str, step: int, title: str, question: LayerQuestion, ask: str) -> dict:
    """The spec of a walk step's layer question (``quiz_layers.questions`` gives the layer's ``LayerQuestion``)."""
    return validate({"kind": "layer", "ask": ask, "layer": _layer_fields(question),
                     "source": {"model": model, "variant": variant, "step": step, "title": title}})


def step_layers(step, asked: dict[str, LayerQuestion]) -> list[tuple[str, str, LayerQuestion]]:
    """The layers of a walk step (``cnnviz.lectures.stepper.WalkStep``) that the quiz can ask about, as (layer
    name, title, question): the step's own layer, or a block's layers. ``asked``: ``quiz_layers.questions``."""
    return [(inner.layer, inner.title, asked[inner.layer]) for inner in (step.layers or (step,)) if inner.layer in asked]


def asks_of(question: LayerQuestion) -> list[str]:
    """The walk-step questions this layer can be asked (no field or jump where the one-number recursion does not
    describe it)."""
    return [ask for ask in LAYER_ASKS if question.has_field or ask not in ("field", "jump")]


# --- a question built from its spec, in the session's language ------------------------------------------------

def build(spec: dict) -> "Asked":
    spec = validate(spec)
    return {"layer": LayerAsked, "output_size": OutputSizeAsked, "bottleneck": BottleneckAsked,
            "number": NumberAsked, "choice": ChoiceAsked}[spec["kind"]](spec)


def parse(spec: dict, raw) -> str:
    """A student's answer as the text stored: a whole number (or a decimal, for the instructor's own numeric
    question) within range, or a choice's number. Invalid otherwise."""
    kind = spec["kind"]
    text = str(raw).strip().replace(",", "").replace(" ", "") if raw is not None else ""
    if not text or len(text) > 24:
        raise Invalid(N_("Type a number."))
    if kind == "choice":
        if not text.isdigit() or int(text) >= len(spec["choices"]):
            raise Invalid(N_("Pick one of the choices."))
        return str(int(text))
    try:
        value = float(text) if kind == "number" else int(text)
    except ValueError:
        raise Invalid(N_("Type a whole number.") if kind != "number" else N_("Type a number.")) from None
    if not math.isfinite(value) or abs(value) > NUMBER_MAX:
        raise Invalid(N_("That number is out of range."))
    if kind != "number" and value < 0:
        raise Invalid(N_("That number is out of range."))
    return number_text(value)


def number_text(value: float | int) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.12g}"


class Asked:
    """One question in the session's language."""

    def __init__(self, spec: dict):
        self.spec = spec

    choices: list[str] | None = None
    decimals = False  # whether the answer may have decimals

    def prompt(self) -> list[str]:
        """The question in plain sentences (shown as plain text)."""
        raise NotImplementedError

    def source(self) -> str | None:
        """Where the question comes from, in a few words, or None."""
        return None

    def right(self) -> str:
        """The right answer as stored (``parse``'s text)."""
        raise NotImplementedError

    def shown(self, value: str) -> str:
        """A stored answer as shown: 1,234 for a number, the choice's text for a choice."""
        number = float(value)
        return f"{int(number):,}" if number.is_integer() else f"{number:,.6g}"

    def grade(self, value: str) -> Grade:
        raise NotImplementedError

    def explanation(self, value: str) -> str | None:
        """Why ``value`` is wrong, in one or two sentences, where a named slip explains it."""
        return None

    def worked(self) -> str | None:
        """The worked solution as LaTeX, or None."""
        return None


class LayerAsked(Asked):
    def __init__(self, spec: dict):
        super().__init__(spec)
        self.question = _layer_question(spec["layer"])
        self.ask = spec["ask"]
        self.answer = next(a for a in self.question.answers() if a.key == self.ask)

    def prompt(self) -> list[str]:
        return [self.question.describe(), _("{what}: what is it for this layer?").format(what=self.answer.label),
                self.answer.help]

    def source(self) -> str | None:
        from cnnviz.zoo.registry import architectures

        source = self.spec["source"]
        arch = architectures().get(source["model"])
        title = _(arch.title) if arch else source["model"]
        if source.get("step"):
            return _("{architecture} · {variant} · step {step} · {layer}").format(
                architecture=title, variant=source["variant"], step=source["step"], layer=source["title"])
        return title

    def right(self) -> str:
        return str(self.answer.value)

    def grade(self, value: str) -> Grade:
        given = int(float(value))
        if given == self.answer.value:
            return Grade(True, None)
        found = self.question.slip(self.ask, given)
        return Grade(False, found[0] if found else OTHER)

    def explanation(self, value: str) -> str | None:
        found = self.question.slip(self.ask, int(float(value)))
        return found[1] if found else None

    def worked(self) -> str | None:
        return self.answer.worked


class OutputSizeAsked(Asked):
    def __init__(self, spec: dict):
        super().__init__(spec)
        self.question = LayerQuestion(spec["W"], 3, 1, spec["F"], spec["S"], spec["P"])

    def prompt(self) -> list[str]:
        s = self.spec
        return [_("A convolution on a {W}x{W} input: kernel F = {F}, padding P = {P}, stride S = {S}.").format(**s),
                _("What is the output width?")]

    def source(self) -> str | None:
        return _("Output-size calculator")

    def right(self) -> str:
        return str(self.question.output_size)

    def grade(self, value: str) -> Grade:
        given = int(float(value))
        if given == self.question.output_size:
            return Grade(True, None)
        found = self.question.slip("output", given)
        return Grade(False, found[0] if found else OTHER)

    def explanation(self, value: str) -> str | None:
        found = self.question.slip("output", int(float(value)))
        return found[1] if found else None

    def worked(self) -> str | None:
        return self.question.answers()[0].worked


class BottleneckAsked(Asked):
    def _parts(self, bias: bool = True) -> tuple[int, int]:
        s = self.spec
        return (arithmetic.params(1, s["c_in"], s["reduce"], bias=bias),
                arithmetic.params(s["kernel"], s["reduce"], s["c_out"], bias=bias))

    def prompt(self) -> list[str]:
        return [_("A 1x1 convolution reduces {c_in} channels to {reduce}, then a {kernel}x{kernel} convolution makes "
                  "{c_out} channels. Both have biases.").format(**self.spec),
                _("How many parameters do the two layers have together?")]

    def source(self) -> str | None:
        return _("Bottleneck arithmetic")

    def right(self) -> str:
        return str(sum(self._parts()))

    def _slips(self) -> list[tuple[int, str, str]]:
        s = self.spec
        reduce, big = self._parts()
        return [(sum(self._parts(bias=False)), "bias_missing",
                 _("Each layer has a bias: add one per filter, {reduce} + {c_out}.").format(**s)),
                (arithmetic.params(s["kernel"], s["c_in"], s["c_out"]), "no_reduction",
                 _("That is the {kernel}x{kernel} convolution on all {c_in} channels, without the reduction: the "
                   "1x1 layer leaves it only {reduce}.").format(**s)),
                (big, "reduction_missing",
                 _("That is the {kernel}x{kernel} layer alone: add the 1x1 layer's (1·1·{c_in} + 1)·{reduce} = "
                   "{weights}.").format(weights=f"{reduce:,}", **s))]

    def grade(self, value: str) -> Grade:
        given = int(float(value))
        if str(given) == self.right():
            return Grade(True, None)
        return Grade(False, next((name for slip, name, _text in self._slips() if slip == given), OTHER))

    def explanation(self, value: str) -> str | None:
        given = int(float(value))
        return next((text for slip, _name, text in self._slips() if slip == given), None)

    def worked(self) -> str | None:
        s = self.spec
        reduce, big = self._parts()
        return (rf"(1\cdot 1\cdot C_{{in}} + 1)\cdot R + (k\cdot k\cdot R + 1)\cdot C_{{out}} = "
                rf"(1\cdot 1\cdot {s['c_in']} + 1)\cdot {s['reduce']} + ({s['kernel']}\cdot {s['kernel']}\cdot "
                rf"{s['reduce']} + 1)\cdot {s['c_out']} = {reduce:,} + {big:,} = {reduce + big:,}").replace(",", "{,}")


class NumberAsked(Asked):
    decimals = True

    def prompt(self) -> list[str]:
        return [self.spec["text"]]

    def right(self) -> str:
        return number_text(self.spec["answer"])

    def grade(self, value: str) -> Grade:
        right = abs(float(value) - float(self.spec["answer"])) <= self.spec["tolerance"]
        return Grade(right, None if right else OTHER)


class ChoiceAsked(Asked):
    def __init__(self, spec: dict):
        super().__init__(spec)
        self.choices = list(spec["choices"])

    def prompt(self) -> list[str]:
        return [self.spec["text"]]

    def right(self) -> str:
        return str(self.spec["right"])

    def shown(self, value: str) -> str:
        index = int(value)
        return f"{chr(ord('A') + index)}. {self.choices[index]}" if 0 <= index < len(self.choices) else value

    def grade(self, value: str) -> Grade:
        right = int(value) == self.spec["right"]
        return Grade(right, None if right else OTHER)


"""A design as text: compact for a link (``net=1_1x32_10_c6k5,t,ak2s2,...``) and as JSON (the export format that
``python -m cnnviz summary design.json`` reads). Both are versioned and read back through the same checks of every
value; a value that cannot be read is a ``DesignFormatError`` naming the layer it is in.

The link: ``VERSION_CHANNELSxSIDE_CLASSES_LAYERS``, the layers separated by commas, each its kind's code, its main
value (a convolution's output channels, a linear layer's outputs, dropout's probability) and then every other
setting that differs from its default as a letter and a number (``c64k11s4p2``: 64 channels, kernel 11, stride 4,
padding 2; booleans as 1 or 0: ``c64k3p1b0`` has no bias).
"""

from __future__ import annotations

import json
import re

from cnnviz.designer.design import (KINDS, LARGEST_SIDE, MOST_CLASSES, MOST_INPUT_CHANNELS, MOST_LAYERS,
                                    SMALLEST_SIDE, Design, Layer, Setting)
from cnnviz.i18n import N_, _

VERSION = 1
FORMAT = "cnnviz-design"
_CODES = sorted((k.code for k in KINDS.values()), key=len, reverse=True)
_KIND_OF_CODE = {k.code: k for k in KINDS.values()}
_NUMBER = r"\d+(?:\.\d+)?"
_TOKEN = re.compile(rf"^({'|'.join(_CODES)})({_NUMBER})?((?:[a-z]{_NUMBER})*)$")
_PAIR = re.compile(rf"([a-z])({_NUMBER})")
_HEADER = re.compile(r"^(\d+)_(\d+)x(\d+)_(\d+)(?:_(.*))?$")


class DesignFormatError(ValueError):
    """One line for the user, kept as its template and values (``text()`` translates, ``str()`` is English)."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template, self.values = template, values

    def text(self) -> str:
        return _(self.template).format(**self.values)


def _shown(raw: object) -> str:
    text = str(raw)
    return text if len(text) <= 30 else text[:30] + "…"


def _value(number: int, setting: Setting, raw: object, kind: str) -> object:
    """One setting's value, read and bounded. ``raw``: text from a link or a JSON value."""
    bad = DesignFormatError(N_("layer {number} ({kind}): {setting} cannot be {value}"), number=number, kind=kind,
                            setting=setting.name, value=_shown(raw))
    if raw is None and setting.default is None:
        return None
    if setting.kind is bool:
        if isinstance(raw, bool):
            return raw
        if raw in ("1", "0", 1, 0):
            return raw in ("1", 1)
        raise bad
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and setting.kind is int):
            raise ValueError
        value = setting.kind(raw) if isinstance(raw, str) else raw
        if not isinstance(value, (int, float)):
            raise ValueError
        value = setting.kind(value)
    except (TypeError, ValueError):
        raise bad from None
    if not setting.low <= value <= setting.high:
        raise DesignFormatError(N_("layer {number} ({kind}): {setting} must be between {low} and {high}, not "
                                   "{value}"), number=number, kind=kind, setting=setting.name,
                                low=f"{setting.low:g}", high=f"{setting.high:g}", value=_shown(raw))
    return value


def layer_from(number: int, kind: str, values: dict) -> Layer:
    """A layer from its kind's name and its settings (from JSON, the editor or a link), every value checked."""
    if kind not in KINDS:
        raise DesignFormatError(N_("layer {number}: there is no layer kind {kind}; the kinds are {kinds}"),
                                number=number, kind=_shown(kind), kinds=", ".join(KINDS))
    spec = KINDS[kind]
    known = {s.name: s for s in spec.settings}
    for name in values:
        if name not in known:
            raise DesignFormatError(N_("layer {number} ({kind}) has no setting {setting}"), number=number,
                                    kind=kind, setting=_shown(name))
    return Layer.of(kind, **{name: _value(number, known[name], raw, kind) for name, raw in values.items()})


def _whole(raw: object, low: int, high: int, template: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).isdigit() \
            or not low <= int(raw) <= high:
        raise DesignFormatError(template, value=_shown(raw), low=low, high=high)
    return int(raw)


def _design(channels: object, side: object, classes: object, layers: list[Layer]) -> Design:
    return Design(
        _whole(channels, 1, MOST_INPUT_CHANNELS, N_("the input's channels must be {low} to {high}, not {value}")),
        _whole(side, SMALLEST_SIDE, LARGEST_SIDE, N_("the input's side must be {low} to {high} pixels, not {value}")),
        _whole(classes, 1, MOST_CLASSES, N_("the classes must be {low} to {high}, not {value}")),
        tuple(layers))


def _too_many(count: int) -> None:
    if count > MOST_LAYERS:
        raise DesignFormatError(N_("a design has at most {most} layers, not {count}"), most=MOST_LAYERS, count=count)


# --- the link ----------------------------------------------------------------------------------------------------
def _number_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)


def layer_token(layer: Layer) -> str:
    spec = KINDS[layer.kind]
    text = spec.code
    for setting in spec.settings:
        value = layer.get(setting.name)
        if setting.code == "":
            text += _number_text(value)
        elif value != setting.default:
            text += setting.code + _number_text(value)
    return text


def to_link(design: Design) -> str:
    layers = ",".join(layer_token(layer) for layer in design.layers)
    return f"{VERSION}_{design.channels}x{design.side}_{design.classes}" + (f"_{layers}" if layers else "")


def from_link(text: str) -> Design:
    header = _HEADER.match(text.strip())
    if not header:
        raise DesignFormatError(N_("the design in this link does not start with its version, input and classes "
                                   "(such as 1_3x32_10_...)"))
    version, channels, side, classes, layers = header.groups()
    if int(version) != VERSION:
        raise DesignFormatError(N_("this link's design is of version {version}; this app reads version {ours}"),
                                version=_shown(version), ours=VERSION)
    tokens = layers.split(",") if layers else []
    _too_many(len(tokens))
    return _design(channels, side, classes, [_token(number, token) for number, token in
                                             enumerate(tokens, start=1)])


def _token(number: int, token: str) -> Layer:
    match = _TOKEN.match(token)
    if not match:
        raise DesignFormatError(N_("layer {number} of the link cannot be read: {token}"), number=number,
                                token=_shown(token))
    code, main, rest = match.groups()
    spec = _KIND_OF_CODE[code]
    by_code = {s.code: s for s in spec.settings}
    values: dict[str, object] = {}
    if main is not None:
        if "" not in by_code:
            raise DesignFormatError(N_("layer {number} of the link cannot be read: {token}"), number=number,
                                    token=_shown(token))
        values[by_code[""].name] = main
    for letter, raw in _PAIR.findall(rest):
        if letter not in by_code or by_code[letter].name in values:
            raise DesignFormatError(N_("layer {number} of the link cannot be read: {token}"), number=number,
                                    token=_shown(token))
        values[by_code[letter].name] = raw
    return layer_from(number, spec.name, values)


# --- JSON --------------------------------------------------------------------------------------------------------
def to_json_data(design: Design) -> dict:
    return {"format": FORMAT, "version": VERSION,
            "input": {"channels": design.channels, "side": design.side}, "classes": design.classes,
            "layers": [{"kind": layer.kind, **{name: value for name, value in layer.values().items()
                                               if value is not None}} for layer in design.layers]}


def to_json(design: Design) -> str:
    return json.dumps(to_json_data(design), indent=1) + "\n"


def from_json_data(data: object) -> Design:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DesignFormatError(N_("this is not a cnnviz design (its \"format\" must be \"{format}\")"),
                                format=FORMAT)
    if data.get("version") != VERSION:
        raise DesignFormatError(N_("this design is of version {version}; this app reads version {ours}"),
                                version=_shown(data.get("version")), ours=VERSION)
    given = data.get("input")
    layers = data.get("layers")
    if not isinstance(given, dict) or not isinstance(layers, list):
        raise DesignFormatError(N_("a design needs an \"input\" (channels and side) and a list of \"layers\""))
    _too_many(len(layers))
    read = []
    for number, entry in enumerate(layers, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
            raise DesignFormatError(N_("layer {number} is not a kind and its settings"), number=number)
        read.append(layer_from(number, entry["kind"], {k: v for k, v in entry.items() if k != "kind"}))
    return _design(given.get("channels"), given.get("side"), data.get("classes"), read)


def from_json(text: str | bytes) -> Design:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise DesignFormatError(N_("the design is not JSON: {reason}"), reason=str(error).splitlines()[0]) from None
    return from_json_data(data)

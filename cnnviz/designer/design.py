"""A design: the input (channels and side), the number of classes and a list of layers, each a kind and its
settings. Every kind states its settings with their defaults and bounds here, the one place the editor, the link,
the JSON file and the checks read them from.

A span of layers is marked by a ``span`` layer (where it starts) and closed by an ``add`` (a residual connection:
the span's input is added to its output, through a 1x1 projection where the shapes differ) or a ``concat`` (the
span's input and output stacked along the channels). ``branch`` markers split a span into parallel branches, each
taking the span's input, and its ``concat`` stacks the branches' outputs (an Inception block). Spans may nest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnviz.i18n import N_


@dataclass(frozen=True)
class Setting:
    name: str  # the key in JSON and the editor
    code: str  # its letter in the link ("" for the kind's main value, written right after the kind's code)
    label: str  # N_
    default: int | float | bool | None
    low: int | float = 0
    high: int | float = 0
    kind: type = int  # int, float or bool; None-able ints (a linear layer's stated inputs) have default None


@dataclass(frozen=True)
class Kind:
    name: str
    code: str  # in the link
    label: str  # N_
    settings: tuple[Setting, ...] = ()
    group: str = "layer"  # "conv", "pool", "activation", "span": how the editor and the checks treat it

    def setting(self, name: str) -> Setting:
        return next(s for s in self.settings if s.name == name)

    def defaults(self) -> dict:
        return {s.name: s.default for s in self.settings}


MOST_CHANNELS = 4096
MOST_FEATURES = 65536
_WINDOW = (Setting("kernel", "k", N_("kernel"), 2, 1, 31), Setting("stride", "s", N_("stride"), None, 1, 16),
           Setting("padding", "p", N_("padding"), 0, 0, 15), Setting("ceil_mode", "u", N_("ceil mode"), False,
                                                                   kind=bool))

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("conv", "c", N_("convolution"), (
        Setting("out", "", N_("output channels"), 16, 1, MOST_CHANNELS),
        Setting("kernel", "k", N_("kernel"), 3, 1, 31), Setting("stride", "s", N_("stride"), 1, 1, 16),
        Setting("padding", "p", N_("padding"), 0, 0, 32), Setting("dilation", "d", N_("dilation"), 1, 1, 16),
        Setting("groups", "g", N_("groups"), 1, 1, MOST_CHANNELS), Setting("bias", "b", N_("bias"), True, kind=bool)),
         "conv"),
    Kind("maxpool", "m", N_("max pooling"), _WINDOW, "pool"),
    Kind("avgpool", "a", N_("average pooling"), _WINDOW, "pool"),
    Kind("bn", "bn", N_("batch norm")),
    Kind("relu", "r", "ReLU", group="activation"),
    Kind("leakyrelu", "lr", N_("Leaky ReLU"), group="activation"),
    Kind("elu", "el", "ELU", group="activation"),
    Kind("gelu", "ge", "GELU", group="activation"),
    Kind("silu", "si", "SiLU", group="activation"),
    Kind("tanh", "t", "tanh", group="activation"),
    Kind("sigmoid", "sg", N_("sigmoid"), group="activation"),
    Kind("dropout", "do", N_("dropout"), (Setting("p", "", N_("drop probability"), 0.5, 0.0, 0.95, float),)),
    Kind("gap", "gap", N_("global average pooling")),
    Kind("adaptiveavg", "aa", N_("adaptive average pooling"), (Setting("size", "", N_("output side"), 6, 1, 64),)),
    Kind("flatten", "f", N_("flatten")),
    Kind("linear", "l", N_("linear (fully connected)"), (
        Setting("out", "", N_("outputs"), 10, 1, MOST_FEATURES),
        Setting("inputs", "i", N_("inputs it expects (empty: whatever comes)"), None, 1, MOST_FEATURES),
        Setting("bias", "b", N_("bias"), True, kind=bool))),
    Kind("span", "s", N_("span start"), group="span"),
    Kind("branch", "br", N_("next branch (of a span)"), group="span"),
    Kind("add", "add", N_("residual add (closes a span)"),
         (Setting("project", "p", N_("1x1 projection where the shapes differ"), True, kind=bool),), "span"),
    Kind("concat", "cat", N_("concatenation (closes a span)"), group="span"),
)}
ACTIVATIONS = tuple(name for name, kind in KINDS.items() if kind.group == "activation")
CLOSERS = ("add", "concat")
SMALLEST_SIDE, LARGEST_SIDE = 8, 1024
MOST_INPUT_CHANNELS = 16
MOST_CLASSES = 100000
MOST_LAYERS = 120


@dataclass(frozen=True)
class Layer:
    kind: str
    settings: tuple[tuple[str, object], ...] = ()  # only those that differ from the kind's defaults

    @staticmethod
    def of(kind: str, **values) -> "Layer":
        spec = KINDS[kind]
        unknown = set(values) - {s.name for s in spec.settings}
        if unknown:
            raise KeyError(f"{kind} has no setting {', '.join(sorted(unknown))}")
        defaults = spec.defaults()
        kept = tuple((s.name, values[s.name]) for s in spec.settings
                     if s.name in values and values[s.name] != defaults[s.name])
        return Layer(kind, kept)

    def get(self, name: str):
        return dict(self.settings).get(name, KINDS[self.kind].setting(name).default)

    def values(self) -> dict:
        return {**KINDS[self.kind].defaults(), **dict(self.settings)}

    def stride(self) -> int:
        """A pooling's stride defaults to its kernel, as in torch."""
        stride = self.get("stride")
        return self.get("kernel") if stride is None else stride

    def changed(self, **values) -> "Layer":
        return Layer.of(self.kind, **{**dict(self.settings), **values})


@dataclass(frozen=True)
class Design:
    channels: int = 3
    side: int = 32
    classes: int = 10
    layers: tuple[Layer, ...] = field(default=())

    def with_layers(self, layers) -> "Design":
        return Design(self.channels, self.side, self.classes, tuple(layers))


def describe(layer: Layer) -> str:
    """One line for the editor's list, in the session's language: "convolution 16, 3x3, stride 2, padding 1"."""
    from cnnviz.i18n import _

    get, kind = layer.get, layer.kind
    name = _(KINDS[kind].label)
    if kind == "conv":
        parts = [f"{get('out')}", f"{get('kernel')}x{get('kernel')}"]
        parts += [_("{name} {value}").format(name=_(KINDS[kind].setting(key).label), value=get(key))
                  for key, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1))
                  if get(key) != default]
        parts += [] if get("bias") else [_("no bias")]
        return f"{name} " + ", ".join(parts)
    if kind in ("maxpool", "avgpool"):
        parts = [f"{get('kernel')}x{get('kernel')}",
                 _("{name} {value}").format(name=_("stride"), value=layer.stride())]
        parts += [_("{name} {value}").format(name=_("padding"), value=get("padding"))] if get("padding") else []
        parts += [_("ceil mode")] if get("ceil_mode") else []
        return f"{name} " + ", ".join(parts)
    if kind == "linear":
        text = f"{name} → {get('out'):,}"
        return text + ("" if get("bias") else ", " + _("no bias"))
    if kind == "dropout":
        return f"{name} p={get('p'):g}"
    if kind == "adaptiveavg":
        return f"{name} → {get('size')}x{get('size')}"
    if kind == "add" and not get("project"):
        return name + ", " + _("no projection")
    return name

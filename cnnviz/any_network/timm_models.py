"""Any of timm's ~1,300 architectures by name, built on the meta device without weights and traced like a registry
model. timm is the largest well-kept collection of image models for PyTorch; each model states its default input
size in its ``pretrained_cfg``."""

from __future__ import annotations

import difflib
import functools

import torch

from cnnviz.any_network import Network, NetworkError
from cnnviz.i18n import N_

SMALLEST, LARGEST = 16, 1024  # input sizes the page and the command line accept
FALLBACK_SIZE = 224  # where a model states no input size

# timm's modules (one per family) whose models are convolutional throughout: no attention or token-mixing blocks.
CONVNET_MODULES = frozenset({
    "byobnet", "convmixer", "convnext", "cspnet", "cspnext", "densenet", "dla", "dpn", "efficientnet", "fasternet",
    "ghostnet", "hardcorenas", "hgnet", "hrnet", "inception_next", "inception_resnet_v2", "inception_v3",
    "inception_v4", "lcnetv2", "mambaout", "mobilenetv3", "nasnet", "nfnet", "pnasnet", "rdnet", "regnet", "repghost",
    "repvit", "res2net", "resnest", "resnet", "resnetv2", "rexnet", "selecsls", "senet", "sknet", "starnet",
    "tresnet", "vgg", "vovnet", "xception", "xception_aligned"})
FAMILIES = {"all": N_("All architectures"), "convnets": N_("Convolutional networks only"),
            "others": N_("Transformers, MLPs and hybrids")}


@functools.cache
def timm_names(family: str = "all") -> tuple[str, ...]:
    """timm's architecture names (without pretrained tags), sorted; ``family``: a key of ``FAMILIES``."""
    import timm

    if family == "all":
        return tuple(timm.list_models())
    convnets = {name for module in CONVNET_MODULES & set(timm.list_modules())
                for name in timm.list_models(module=module)}
    chosen = convnets if family == "convnets" else set(timm.list_models()) - convnets
    return tuple(sorted(chosen))


def closest_names(name: str, count: int = 3) -> list[str]:
    return difflib.get_close_matches(name, timm_names(), n=count, cutoff=0.5)


def check_name(name: str) -> str:
    """``name`` itself, or a ``NetworkError`` that suggests the closest names timm has."""
    if name in timm_names():
        return name
    suggestions = closest_names(name)
    if suggestions:
        raise NetworkError(N_("timm has no model {name}; closest: {suggestions}"), name=repr(name),
                           suggestions=", ".join(suggestions))
    raise NetworkError(N_("timm has no model {name}"), name=repr(name))


def build_on_meta(name: str) -> torch.nn.Module:
    """The architecture without weights (meta tensors: no memory for parameters), in inference mode."""
    import timm

    with torch.device("meta"):
        return timm.create_model(check_name(name), pretrained=False).eval()


@functools.cache
def default_input_size(name: str) -> int:
    """The square input size the model states (its pretrained_cfg), else 224."""
    import timm

    config = timm.get_pretrained_cfg(check_name(name))
    size = getattr(config, "input_size", None) if config is not None else None
    return int(size[-1]) if size else FALLBACK_SIZE


def input_channels(name: str) -> int:
    import timm

    config = timm.get_pretrained_cfg(name)
    size = getattr(config, "input_size", None) if config is not None else None
    return int(size[0]) if size else 3


def check_size(input_size: int) -> int:
    if not SMALLEST <= input_size <= LARGEST:
        raise NetworkError(N_("the input size must be between {smallest} and {largest} pixels"),
                           smallest=SMALLEST, largest=LARGEST)
    return input_size


def timm_network(name: str, input_size: int | None = None) -> Network:
    """Trace timm model ``name`` at ``input_size`` (its own default if None): the summary and receptive fields.
    A size the model cannot take (a fixed-size transformer) is a ``NetworkError``."""
    from cnnviz.analysis.receptive_field.recursion import model_receptive_fields
    from cnnviz.analysis.summary import summarize_model

    model = build_on_meta(name)
    default = default_input_size(name)
    size = check_size(input_size or default)
    inputs = (torch.zeros(1, input_channels(name), size, size, device="meta"),)
    try:
        summary = summarize_model(model, inputs, name)
        fields = model_receptive_fields(model, inputs)
    except (RuntimeError, ValueError, AssertionError) as error:  # timm asserts on sizes its patch grid cannot take
        raise NetworkError(N_("{name} cannot take a {size}x{size} input: {reason}"), name=name, size=size,
                           reason=(str(error).splitlines() or [type(error).__name__])[0]) from None
    return Network(summary, fields or None, "timm", default_size=default)

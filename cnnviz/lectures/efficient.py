"""SqueezeNet, MobileNet v1/v2, EfficientNet-Lite0, and the autoencoder, U-Net and Siamese network."""

from cnnviz.i18n import N_
from cnnviz.lectures.spec import Lecture
from cnnviz.zoo.registry import architectures

EFFICIENT = {
    "squeezenet1_0": Lecture(
        story=N_("Iandola et al. aimed at AlexNet's accuracy in a model small enough for an FPGA or a download over "
                 "the air. Three rules: use 1x1 filters where possible, feed 3x3 filters few channels, downsample "
                 "late. The **fire module** squeezes the channels with 1x1 convolutions, then expands with 1x1 "
                 "and 3x3 convolutions side by side; there are no FC layers."),
        key_block={"squeezenet1_0": "features.3", "squeezenet1_1": "features.3"},
        key_caption=N_("A fire module: squeeze (1x1), then expand with 1x1 and 3x3 in parallel, concatenated."),
        variants={"squeezenet1_0": N_("The paper's model."),
                  "squeezenet1_1": N_("SqueezeNet 1.1: a 3x3 conv1 with 64 filters and earlier pooling, the same "
                                      "accuracy for much less computation.")},
    ),
    "mobilenet_v1": Lecture(
        story=N_("Howard et al. factorised each standard convolution into a **depthwise** 3x3 convolution (one "
                 "filter per input channel: spatial filtering only) and a **pointwise** 1x1 convolution (channel "
                 "mixing only). Batch norm and ReLU follow both. Two knobs, the width multiplier α and the "
                 "resolution multiplier ρ, trade accuracy for speed on phones; the variants here are the rows of the "
                 "paper's Tables 6 (α) and 7 (ρ)."),
        key_block=dict.fromkeys(architectures()["mobilenet_v1"].variant_names, "features.2"),
        key_caption=N_("A depthwise separable block: a 3x3 convolution with `groups` = channels, then a 1x1."),
        formulas=((N_("Cost of depthwise separable vs standard convolution (kernel k, M input and N output channels, "
                      "D_F x D_F output map)"),
                   r"\frac{k^2 M D_F^2 + M N D_F^2}{k^2 M N D_F^2} = \frac{1}{N} + \frac{1}{k^2}"),),
        variants={
            "mobilenet_v1": N_("The paper's baseline: width multiplier α = 1 and 224x224 input."),
            **{name: N_("Width multiplier α: every layer keeps that fraction of its channels, so MACs and parameters "
                        "shrink by roughly α² (the paper's Table 6).")
               for name in ("mobilenet_v1_0.75", "mobilenet_v1_0.5", "mobilenet_v1_0.25")},
            **{name: N_("Resolution multiplier ρ (input side over 224): the same layers and parameters, and MACs "
                        "shrink by roughly ρ² (the paper's Table 7).")
               for name in ("mobilenet_v1_192", "mobilenet_v1_160", "mobilenet_v1_128")}},
    ),
    "mobilenet_v2": Lecture(
        story=N_("Sandler et al. turned the residual block inside out. The **inverted residual** expands a thin "
                 "input 6x with a 1x1, filters it depthwise, and projects it back with a **linear** 1x1 (no ReLU: "
                 "a ReLU in a thin layer destroys information). The shortcut joins the thin ends, so the memory "
                 "that flows between blocks stays small."),
        key_block={"mobilenet_v2": "features.2"},
        key_caption=N_("An inverted residual block: expand (1x1, ReLU6), depthwise 3x3 (ReLU6), linear project."),
    ),
    "efficientnet_lite0": Lecture(
        story=N_("Tan and Le scaled networks along **depth, width and resolution together** with one compound "
                 "coefficient, starting from a searched MobileNet-v2-like base (B0). The Lite variants drop "
                 "squeeze-and-excitation and swish for ReLU6 so they run well on phone accelerators. Its pretrained "
                 "weights ship offline with this app and give the image lab's predictions."),
        key_block={"efficientnet_lite0": "_blocks.1"},
        key_caption=N_("An MBConv block: expand, depthwise, project, with a skip when the shapes match."),
        formulas=((N_("Compound scaling (φ sets the budget)"), r"d = \alpha^\phi,\ w = \beta^\phi,\ r = \gamma^\phi,"
                   r"\quad \alpha\beta^2\gamma^2 \approx 2"),),
    ),
    "autoencoder": Lecture(
        story=N_("An autoencoder learns without labels: the **encoder** squeezes the image into a small latent code, "
                 "the **decoder** rebuilds the image, and the loss is the reconstruction error. The decoder grows "
                 "the maps back with **transposed convolutions** (each input pixel stamps a kernel into a larger "
                 "output). The latent code is a learned representation — for denoising, compression or "
                 "pretraining."),
        formulas=((N_("Output size of a transposed convolution"), r"W_{out} = (W_{in} - 1)\,S - 2P + F + P_{out}"),
                  (N_("Reconstruction loss (e.g. mean squared error)"), r"L = \frac{1}{n}\sum_i (\hat{x}_i - x_i)^2")),
    ),
    "unet": Lecture(
        story=N_("Ronneberger et al. segmented cells with few training images. The contracting path captures "
                 "context but **loses fine detail at the bottleneck**; the expanding path gets it back because "
                 "**skip connections** copy each encoder map (cropped, since the convolutions are unpadded) and "
                 "concatenate it with the upsampled decoder map. Heavy elastic deformations made up for the small "
                 "dataset."),
        key_block={"unet": "up1", "unet_small": "up1"},
        key_caption=N_("One decoder step: up-convolution, crop-and-concatenate the encoder's map, two 3x3 convs."),
    ),
    "siamese": Lecture(
        story=N_("Koch et al. learned **whether two images show the same thing**, not which class each is. One "
                 "network — the same weights — embeds both images; the distance between the embeddings feeds a "
                 "logistic unit. Because it compares, it recognises classes it never trained on from a single "
                 "example (one-shot learning). The shared encoder is also the pattern of a pretrained backbone "
                 "serving many downstream tasks."),
        formulas=((N_("Koch et al.'s similarity"), r"p = \sigma\Big(\sum_j \alpha_j \,|h_1^{(j)} - h_2^{(j)}|\Big)"),),
    ),
}

"""GoogLeNet, Inception v3, the ResNet family, DenseNet and FractalNet."""

from cnnviz.i18n import N_
from cnnviz.lectures.spec import Lecture

_RESNET_BLOCK = {"resnet50": "layer2.0", "resnet18": "layer2.0", "resnet34": "layer2.0", "resnet101": "layer2.0",
                 "resnet152": "layer2.0", "stochastic_depth_resnet50": "layer2.0",
                 "stochastic_depth_resnet152": "layer2.0"}

DEEP = {
    "googlenet": Lecture(
        story=N_("Szegedy et al. wanted depth and width without VGG's cost. An **inception module** runs 1x1, 3x3 "
                 "and 5x5 convolutions and a 3x3 max-pool side by side and concatenates their outputs, so the "
                 "next layer can pick the right scale. Run naively the channels pile up and the 5x5s are "
                 "expensive, so **1x1 'bottleneck' convolutions** shrink the channels first. Nine modules make a "
                 "22-layer network; **global average pooling** replaces the big FC layers, and two **auxiliary "
                 "classifiers** (weight 0.3 in the loss) inject gradient into the middle during training and are "
                 "thrown away afterwards. Its authors describe it as having about 5 million parameters, 12 times "
                 "fewer than AlexNet: their own round figures, which the notes check below recounts on both "
                 "networks as published."),
        key_block={"googlenet": "inception3a"},
        key_caption=N_("inception3a unfolded: four branches, three of them behind 1x1 reductions, joined by a "
                       "channel concatenation."),
        formulas=((N_("Training loss with the auxiliary classifiers"),
                   r"L = L_{\text{main}} + w\,(L_{\text{aux1}} + L_{\text{aux2}})"),),
        variants={"googlenet": N_("torchvision's GoogLeNet with both auxiliary heads kept (they only run in "
                                  "training mode, so they are drawn dashed and left out of the inference totals).")},
    ),
    "inception_v3": Lecture(
        story=N_("BN-Inception (Ioffe & Szegedy, 2015), which the notes and many courses call 'Inception v2', added "
                 "**batch normalisation** everywhere and dropped LRN; training became many times faster. The "
                 "Inception v3 paper uses the name 'Inception-v2' for a different network: its own intermediate "
                 "model, the factorised architecture before RMSProp, label smoothing, factorised 7x7 convolutions "
                 "and a batch-normalised auxiliary classifier were added; with all four it is Inception v3. "
                 "Inception v3 **factorised** the convolutions: a 5x5 "
                 "becomes two 3x3s, an nxn becomes a 1xn followed by an nx1, and grids shrink with parallel "
                 "stride-2 convolution and pooling branches. It trained with **RMSProp**, gradient clipping and "
                 "**label smoothing**, on 299x299 inputs. In the paper's label smoothing every one of the K classes "
                 "gets ε/K and the true class also gets 1 − ε, q'(k) = (1 − ε)·δ(k, y) + ε/K; the slides "
                 "spread ε over the K − 1 wrong classes instead. The worked formula below gives both for this "
                 "model's K. The variants show the rest of the family: **BN-Inception** "
                 "(the network of the batch-norm paper, which the notes call Inception v2), and from 2016 "
                 "**Inception v4**, a deeper and more uniform Inception, and **Inception-ResNet v2**, whose modules "
                 "add their scaled-down output to a **residual** shortcut: 'ResNet + Inception', as the notes put it."),
        key_block={"inception_v3": "Mixed_6b"},
        key_caption=N_("Mixed_6b: the 7x7 receptive field built from 1x7 and 7x1 convolutions."),
        formulas=((N_("Batch normalisation (per channel, over the mini-batch)"),
                   r"\hat{x}_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}},\quad y_i = \gamma \hat{x}_i + \beta"),
                  ("RMSProp", r"G_{t+1} = \mu G_t + (1-\mu)\,(\nabla_W L)^2,\quad W_{t+1} = W_t - "
                   r"\frac{\alpha\,\nabla_W L}{\sqrt{G_{t+1} + \epsilon}}"),
                  (N_("Label smoothing (K classes, factor ε): the paper's form, then the slides'"),
                   r"q'_k = (1-\epsilon)\,\delta_{k,y} + \frac{\epsilon}{K};\quad y = \Big[\tfrac{\epsilon}{K-1}, \dots, 1-\epsilon, \dots, \tfrac{\epsilon}{K-1}\Big]"),
                  (N_("Cost of factorising an nxn convolution (C channels in and out)"),
                   r"n^2 C^2 \;\to\; 2nC^2")),
        variants={"inception_v3": N_("torchvision's Inception v3 with its auxiliary classifier (training only)."),
                  "bn_inception": N_("BN-Inception (Ioffe & Szegedy 2015, Figure 5): GoogLeNet with batch norm after "
                                     "every convolution, each 5x5 replaced by two stacked 3x3s, three 28x28 modules, "
                                     "and stride-2 branches inside modules 3c and 4e instead of pooling layers "
                                     "between modules. It takes 224x224 input."),
                  "inception_v4": N_("timm's Inception v4 (Szegedy et al. 2016): a stem, then Inception-A, -B and -C "
                                     "modules with reduction modules where the grid shrinks; no residual connections."),
                  "inception_resnet_v2": N_("timm's Inception-ResNet v2 (Szegedy et al. 2016): in each module a 1x1 "
                                            "convolution brings the concatenated branches back to the input's depth, "
                                            "and the result, scaled by a small constant, is added to the input.")},
    ),
    "resnet50": Lecture(
        story=N_("He et al. saw that a plain 56-layer network had **higher training error** than a 20-layer one: "
                 "not overfitting, an optimisation problem. A deeper net could copy the shallow one and add "
                 "identity layers, but solvers do not find that. So each block learns a **residual** F(x) that is "
                 "added to its input: y = F(x) + x. Pushing F towards zero gives the identity, and gradients flow "
                 "through the additions. Where the shape changes, a 1x1 convolution W_s projects the shortcut. "
                 "An ensemble of six ResNets of different depths, two of them ResNet-152s, won ILSVRC 2015; "
                 "**bottleneck blocks** (1x1 reduce, 3x3, 1x1 expand) keep the deep versions affordable."),
        key_block=_RESNET_BLOCK,
        key_caption=N_("layer2.0 unfolded: the residual branch and the projection shortcut W_s (downsample) that "
                       "matches the new shape, joined by an addition."),
        formulas=((N_("Residual block"), r"y = \mathcal{F}(x, \{W_i\}) + x"),
                  (N_("When the shape changes"), r"y = \mathcal{F}(x, \{W_i\}) + W_s x"),
                  (N_("Stochastic depth: block l survives with probability"), r"p_l = 1 - \frac{l}{L}(1 - p_L)"),
                  (N_("Parameters of one residual block (its convolutions, kernel F, groups g; biases ignored)"),
                   r"\sum_{\text{convs}} F^2\, C_{in}\, C_{out} / g")),
        variants={"resnet18": N_("Basic blocks (two 3x3 convs), [2, 2, 2, 2] per stage."),
                  "resnet34": N_("Basic blocks, [3, 4, 6, 3]."),
                  "resnet50": N_("Bottleneck blocks (1x1, 3x3, 1x1, 4x expansion), [3, 4, 6, 3]."),
                  "resnet101": N_("Bottleneck blocks, [3, 4, 23, 3]."),
                  "resnet152": N_("Bottleneck blocks, [3, 8, 36, 3]: the depth of the deepest networks in the "
                                  "ensemble that won ILSVRC 2015."),
                  "stochastic_depth_resnet50": N_("Huang et al. 2016: during training each residual branch is "
                     "dropped at random (the block becomes the identity), more often deeper in the net; at test "
                     "time all blocks run. Shorter expected depth in training, same model afterwards."),
                  "stochastic_depth_resnet152": N_("Stochastic depth on ResNet-152.")},
        notes_facts=(N_("Three of the notes give ResNet's weight decay as 1e-5; the paper uses 0.0001 (1e-4)."),
                     N_("The university slides' “学习率0.01 来warm up 若干周期, 然后学习率调整到 0.1” (learning rate "
                        "0.01 to warm up for a few epochs, then the learning rate set to 0.1) is the paper's CIFAR-10 "
                        "ResNet-110 trick, not its ImageNet recipe (0.1 from the start).")),
    ),
    "preact_resnet": Lecture(
        story=N_("In their follow-up He et al. showed that the cleanest signal path is a pure identity: move batch "
                 "norm and ReLU **before** each convolution (BN-ReLU-conv), and add nothing after the addition. "
                 "Information and gradients then pass unchanged from any block to any other, and a 1001-layer "
                 "ResNet trains and beats the 164-layer one."),
        key_block={f"preact_resnet{d}": "layer2.0" for d in (18, 34, 50, 101, 152)},
        key_caption=N_("A pre-activation block: normalisation and ReLU come first; the sum is not followed by a ReLU."),
        formulas=((N_("Identity path from block l to any deeper block L"),
                   r"x_L = x_l + \sum_{i=l}^{L-1} \mathcal{F}(x_i, W_i)"),),
        variants={"preact_resnet18": N_("Pre-activation ResNet-18."),
                  "preact_resnet34": N_("Pre-activation ResNet-34."),
                  "preact_resnet50": N_("Pre-activation ResNet-50."),
                  "preact_resnet101": N_("Pre-activation ResNet-101."),
                  "preact_resnet152": N_("Pre-activation ResNet-152.")},
    ),
    "wide_resnet50_2": Lecture(
        story=N_("Zagoruyko and Komodakis found that ResNets' depth can be traded for **width**: a 16-layer network "
                 "with k-times wider blocks matched or beat 1000-layer thin ones and trains several times faster, "
                 "because wide layers use GPUs well. They also used dropout between the convolutions of a block."),
        key_block={"wide_resnet50_2": "layer2.0", "wide_resnet101_2": "layer2.0"},
        key_caption=N_("A WRN-50-2 bottleneck: its inner 3x3 has twice ResNet-50's channels."),
        variants={"wide_resnet50_2": N_("ResNet-50 with the bottleneck's inner width doubled."),
                  "wide_resnet101_2": N_("ResNet-101 with the bottleneck's inner width doubled.")},
    ),
    "resnext50_32x4d": Lecture(
        story=N_("Xie et al. split the bottleneck's 3x3 convolution into C parallel paths of width d and add them "
                 "up: **aggregated transformations**, a new dimension called **cardinality**. All paths together "
                 "are a single **grouped convolution**. At equal parameters and MACs, more paths beat more depth "
                 "or more width; ResNeXt came second in ILSVRC 2016."),
        key_block={"resnext50_32x4d": "layer2.0", "resnext101_32x8d": "layer2.0", "resnext101_64x4d": "layer2.0"},
        key_caption=N_("The 3x3 convolution has `groups` = cardinality: 32 paths of 4 channels in ResNeXt-50 (32x4d)."),
        variants={"resnext50_32x4d": N_("Cardinality 32, 4 channels per path (at the first stage), 50 layers."),
                  "resnext101_32x8d": N_("Cardinality 32, 8 channels per path, 101 layers."),
                  "resnext101_64x4d": N_("Cardinality 64, 4 channels per path, 101 layers.")},
    ),
    "densenet121": Lecture(
        story=N_("Huang et al. connected every layer of a block to **every later layer** by concatenation, so each "
                 "layer sees all earlier feature maps and adds only k new ones — the **growth rate**. Features are "
                 "reused instead of relearned, so DenseNets need few parameters; **transition layers** (BN, 1x1 "
                 "conv halving the channels, 2x2 average pool) shrink the maps between blocks. The price is memory: "
                 "the concatenated maps are large."),
        key_block={"densenet121": "features.denseblock1", "densenet169": "features.denseblock1",
                   "densenet201": "features.denseblock1", "densenet264": "features.denseblock1"},
        key_caption=N_("The first dense block: each layer's input is the concatenation of all earlier outputs."),
        formulas=((N_("Layer l of a dense block"), r"x_\ell = H_\ell([x_0, x_1, \dots, x_{\ell-1}])"),
                  (N_("Channels into layer l (k₀ channels into the block, growth rate k)"), r"k_0 + k(\ell - 1)")),
        variants={"densenet121": N_("Blocks of 6, 12, 24, 16 layers, growth rate 32."),
                  "densenet169": N_("Blocks of 6, 12, 32, 32."), "densenet201": N_("Blocks of 6, 12, 48, 32."),
                  "densenet264": N_("Blocks of 6, 12, 64, 48: the paper's deepest ImageNet model.")},
    ),
    "fractalnet": Lecture(
        story=N_("Larsson et al. asked whether residuals are what makes very deep nets train. A **fractal** rule "
                 "f_{C+1}(z) = join(f_C(f_C(z)), conv(z)) builds columns of depth 1, 2, 4, ... side by side, "
                 "joined by averaging. **Drop-path** randomly removes join inputs in training (local) or keeps a "
                 "single column (global), so every column learns to work alone. Deep without residuals — and the "
                 "shallow columns act as a built-in teacher for the deep ones."),
        key_block={"fractalnet40": "blocks.0", "fractalnet20": "blocks.0"},
        key_caption=N_("One fractal block: columns of different depths averaged at each join."),
        formulas=((N_("Fractal expansion rule"), r"f_1(z) = \mathrm{conv}(z),\quad "
                   r"f_{C+1}(z) = \mathrm{join}\big(f_C \circ f_C(z),\ \mathrm{conv}(z)\big)"),),
        variants={"fractalnet40": N_("C = 4 columns, 5 blocks: 40 conv layers on the deepest path."),
                  "fractalnet20": N_("C = 3 columns, 5 blocks: 20 conv layers on the deepest path.")},
    ),
}

"""LeNet-5, AlexNet, ZFNet, VGG and NiN."""

from cnnviz.i18n import N_
from cnnviz.lectures.spec import Lecture

CLASSIC = {
    "lenet5": Lecture(
        story=N_("LeCun's group read handwritten ZIP codes and cheque amounts in the 1990s. LeNet-5 put the ideas "
                 "that every later network keeps into one trainable pipeline: **local receptive fields**, **shared "
                 "weights** (a filter is applied at every position, so a feature is found wherever it is) and "
                 "**subsampling** to gain tolerance to small shifts. Its tanh units saturate, so gradients vanish "
                 "in deeper versions — one reason the idea waited until ReLU and GPUs."),
        formulas=((N_("Scaled tanh activation used by LeCun et al."), r"f(a) = A \tanh(S a)"),),
        variants={"lenet5": N_("The original: tanh after every layer, average-pool subsampling."),
                  "lenet5_relu": N_("The same layers with ReLU: the modern habit, and usually faster to train.")},
        notes_facts=(N_("The Chinese case-study notes say LeNet-5 won ILSVRC in 1998; ILSVRC began in 2010. "
                        "LeNet-5 was published in 1998 (Proc. IEEE) and read digits, not ImageNet photos."),
                     N_("TABLE II in the university slides lists LeNet with 20 and 50 filters on 28x28 input: those "
                        "are the columns of Caffe's 'LeNet' MNIST example, not LeNet-5 (6 and 16 filters on 32x32).")),
    ),
    "alexnet": Lecture(
        story=N_("In 2012 ImageNet's 1.2 million labelled photos met two GTX 580 GPUs. AlexNet was LeNet made 10x "
                 "larger and trained with a new kit: **ReLU** (six times faster to train than tanh in the paper's "
                 "CIFAR test), **dropout** in the FC layers, heavy **data augmentation** (crops, flips, PCA colour "
                 "noise), **local response normalisation** and **overlapping pooling** (3x3 windows at stride 2). "
                 "It cut the top-5 error from the previous 26% to about 16% and started the deep-learning era. "
                 "Each GPU held half the filters: conv2, conv4 and conv5 only see the maps on their own GPU, which "
                 "is exactly a convolution with `groups=2`."),
        formulas=((N_("Local response normalisation (Krizhevsky et al. 2012)"),
                   r"b^i_{x,y} = a^i_{x,y} \Big/ \Big(k + \alpha \sum_{j=\max(0,\,i-n/2)}^{\min(N-1,\,i+n/2)}"
                   r"\big(a^j_{x,y}\big)^2\Big)^{\beta}"),
                  (N_("SGD with momentum, as in the notes"), r"v_{t+1} = \mu v_t - \alpha \nabla_W L(W_t),\quad "
                   r"W_{t+1} = W_t + v_{t+1}")),
        variants={"alexnet": N_("torchvision's version (Krizhevsky 2014, 'One weird trick'): one GPU, no LRN, "
                                "64-192-384-256-256 filters, 224x224 input. Its published weights power the image "
                                "lab."),
                  "alexnet_paper": N_("The 2012 paper's layers: 227x227 input, 96-256-384-384-256 filters, LRN after "
                                      "conv1 and conv2, and the two-GPU split as groups=2 in conv2, conv4, conv5.")},
        notes_facts=(N_("The CS231n list puts NORM1 after POOL1; the paper normalises first and pools after "
                        "('max-pooling layers follow both response-normalization layers'), so NORM1's output is "
                        "55x55x96 in the paper model here."),),
    ),
    "zfnet": Lecture(
        story=N_("Zeiler and Fergus built a **deconvnet** to project activations back to pixels and looked at what "
                 "each AlexNet layer responds to. The first layer had dead filters and aliasing from the stride-4 "
                 "11x11 filters, so ZFNet uses **7x7 filters at stride 2**; everything else is tuning. The "
                 "visualisations — edges and colours in layer 1, corners and other conjunctions of edges and colours "
                 "in layer 2, textures in layer 3, object parts and whole objects higher up — are "
                 "the reason we talk about 'what layers see'. ILSVRC 2013 was won by Clarifai, Zeiler's company, "
                 "with its own competition entry; its error is not the paper's, and the ILSVRC line on this page "
                 "gives both, each with its source."),
        variants={"zfnet": N_("The paper's model: conv1 7x7/2, conv2 5x5/2, then AlexNet's 384-384-256."),
                  "zfnet_wide": N_("The wider version the CS231n lecture shows: 512-1024-512 filters in conv3-5.")},
    ),
    "vgg16": Lecture(
        story=N_("Simonyan and Zisserman asked one question: what does **depth** buy if everything else is fixed? "
                 "Every convolution is 3x3 with stride 1 and padding 1, every pool 2x2 with stride 2, and the "
                 "channels double after each pool (64 → 512). Two stacked 3x3 layers see 5x5 and three see 7x7, with "
                 "fewer weights and a ReLU between each. VGG-16 and -19 came second in ILSVRC 2014 and their "
                 "features became the default for transfer learning — at the price of 138 M parameters, most of "
                 "them in the first FC layer."),
        formulas=((N_("Receptive field of stacked layers (notes' recursion)"),
                   r"l_k = l_{k-1} + (f_k - 1)\prod_{i=1}^{k-1} s_i"),
                  (N_("Three 3x3 vs one 7x7, C channels in and out (biases ignored); two 3x3 replace a 5x5 the "
                      "same way"),
                   r"3\cdot(3\cdot3\cdot C)\cdot C = 27C^2 \;<\; 7\cdot7\cdot C\cdot C = 49C^2")),
        variants={"vgg11": N_("Configuration A: 8 conv + 3 FC layers."),
                  "vgg13": N_("Configuration B: two 3x3 convs in every stage (10 conv)."),
                  "vgg16": N_("Configuration D: three 3x3 convs in stages 3-5 (13 conv) — the usual 'VGG'."),
                  "vgg19": N_("Configuration E: four 3x3 convs in stages 3-5 (16 conv): slightly better, more memory."),
                  "vgg11_bn": N_("A with batch norm after every conv (not in the paper; easier to train)."),
                  "vgg13_bn": N_("B with batch norm."), "vgg16_bn": N_("D with batch norm."),
                  "vgg19_bn": N_("E with batch norm.")},
    ),
    "nin": Lecture(
        story=N_("Lin, Chen and Yan replaced each linear filter by a **micro network**: a convolution followed by "
                 "1x1 convolutions, i.e. a small MLP applied at every position (mlpconv). The last mlpconv layer "
                 "outputs one map per class and **global average pooling** turns each map into a score: no FC "
                 "layers, far fewer parameters, and maps that say where each class is. GoogLeNet took both ideas."),
        key_block={"nin": "features.0"},
        key_caption=N_("One mlpconv block: a kxk convolution, then two 1x1 convolutions, each followed by ReLU."),
        formulas=((N_("Global average pooling: the score of class c"), r"s_c = \frac{1}{HW}\sum_{x,y} f_c(x,y)"),),
    ),
}

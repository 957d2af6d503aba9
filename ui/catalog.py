"""Every page of the app as data: group, file, title, URL and the one line the home page shows."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.i18n import N_, _
from cnnviz.zoo.registry import architectures


@dataclass(frozen=True)
class PageEntry:
    title: str
    url_path: str
    line: str
    icon: str = ":material/article:"

    @property
    def path(self) -> str:
        """Relative to app.py. The file's stem is the URL: Streamlit's first session on a new server looks a
        link up by file name in pages/ (see ``ui.first_visit``)."""
        return f"pages/{self.url_path}.py"


HOME = "home"  # the default page: served at /, and at /home by its file name (ui.first_visit)
START = [PageEntry(N_("Home"), HOME, N_("What is here."), ":material/home:")]

# Concept labs: each number computed by formula and measured in torch.
CONCEPT_LABS: list[PageEntry] = [
    PageEntry(N_("Receptive field"), "lab-receptive-field",
              N_("The notes' recursion layer by layer for any model, checked by back-propagation, and on a photo."),
              ":material/center_focus_strong:"),
    PageEntry(N_("3x3 stacks vs 7x7"), "lab-stacking",
              N_("Stacked 3x3 convolutions vs one big kernel: field, parameters, MACs and non-linearities."),
              ":material/stacks:"),
    PageEntry(N_("Local response normalisation"), "lab-lrn",
              N_("The LRN formula term by term, AlexNet's values, and the torch call that matches it."),
              ":material/equalizer:"),
    PageEntry(N_("Bottleneck arithmetic"), "lab-bottleneck",
              N_("1x1 reductions: the notes' 5x5 question, inception, ResNet, MobileNet and fire modules."),
              ":material/filter_alt:"),
    PageEntry(N_("1x1 convolutions and GAP"), "lab-1x1-gap",
              N_("What a 1x1 convolution computes, and global average pooling vs VGG's fully connected head."),
              ":material/grid_on:"),
    PageEntry(N_("Output-size calculator"), "lab-output-size",
              N_("floor((W − F + 2P)/S) + 1 with dilation, ceil mode and transposed convolutions, checked by torch."),
              ":material/calculate:"),
    PageEntry(N_("Regularisation"), "lab-regularisation",
              N_("Dropout's scaling, random crops and flips, the 10-crop test and ensembles, run on tensors and a photo."),
              ":material/shield:"),
]

# Image lab: photos through pretrained networks.
IMAGE_LAB: list[PageEntry] = [
    PageEntry(N_("What the networks see"), "image-predictions",
              N_("Your photo through pretrained networks: top-5 ImageNet classes, several models side by side."),
              ":material/image_search:"),
    PageEntry(N_("Inside the network"), "inside-the-network",
              N_("Feature maps, first-layer filters, Grad-CAM and a unit's receptive field on your photo."),
              ":material/layers:"),
    PageEntry(N_("Attribution lab"), "attribution-lab",
              N_("Six attribution maps of your photo, their sanity check, adversarial photos, what a channel wants."),
              ":material/visibility:"),
]

# Mini-trainings: real training on data that ships offline.
MINI_TRAININGS: list[PageEntry] = [
    PageEntry(N_("Residual vs plain, trained"), "train-residual",
              N_("Deeper plain nets train worse; residual nets of the same depth do not. Bundled sweep and a live run."),
              ":material/stacked_line_chart:"),
    PageEntry(N_("LeNet-5 trained live"), "train-lenet",
              N_("Handwritten digits in seconds: loss from ln 10, accuracy, filters and maps before and after."),
              ":material/draw:"),
    PageEntry(N_("Learning-rate schedules"), "train-schedules",
              N_("Divide on plateau, x0.96 every 8 epochs, warm-up; SGD+momentum vs RMSProp."),
              ":material/trending_down:"),
    PageEntry(N_("Transfer learning, trained"), "train-transfer",
              N_("Frozen encoder vs fine-tuning vs scratch with pretrained EfficientNet-Lite0: accuracy and time."),
              ":material/model_training:"),
]


# A live class: the instructor asks, the phones answer, the projector shows what the room got wrong.
CLASS: list[PageEntry] = [
    PageEntry(N_("Live class"), "class",
              N_("Start a class: a room code and QR code, questions from any walk step, answers from every phone."),
              ":material/co_present:"),
]


def page_groups() -> dict[str, list[PageEntry]]:
    # An architecture's line is translated here, in the session's language (app.py and the home page call this on
    # every run): the year is no text, and _() of the line the home page calls again hands a translation back.
    archs = [PageEntry(arch.title, key, f"{arch.year} · {_(arch.line)}", ":material/account_tree:")
             for key, arch in architectures().items()]
    archs.append(PageEntry(N_("Compare architectures"), "compare-architectures",
                           N_("The notes' summary tables computed live, ILSVRC by year, accuracy vs MACs, recipes."),
                           ":material/compare:"))
    archs.append(PageEntry(N_("Your network"), "your-network",
                           N_("Any timm architecture by name, or your own ONNX file: layers, graph, cost and fields."),
                           ":material/upload_file:"))
    archs.append(PageEntry(N_("Design your own network"), "design",
                           N_("Build a CNN layer by layer: every shape, parameter and MAC live, mistakes at their "
                              "layer, exports."), ":material/construction:"))
    archs.append(PageEntry(N_("Transfer learning"), "transfer-learning",
                           N_("Freeze the encoder and train a new head, or fine-tune: what trains, counted."),
                           ":material/swap_horiz:"))
    groups = {N_("Start"): START, N_("Architectures"): archs, N_("Concept labs"): CONCEPT_LABS,
              N_("Image lab"): IMAGE_LAB, N_("Mini-trainings"): MINI_TRAININGS, N_("Class"): CLASS}
    return {name: entries for name, entries in groups.items() if entries}

"""The jargon an architecture page uses, each term defined in one sentence, and which terms a text uses."""

from __future__ import annotations

import re

from cnnviz.i18n import N_

# term -> one self-contained sentence. Keys are matched in page text case-insensitively as whole words.
GLOSSARY: dict[str, str] = {
    N_("MACs"): N_("Multiply-accumulates: one multiplication and one addition, the unit this app counts cost in."),
    N_("FLOPs"): N_("Floating-point operations; one multiply-accumulate is two FLOPs, so FLOPs are about twice the "
                    "MACs, though many papers say FLOPs and mean multiply-adds (ResNet-50's '3.8 billion FLOPs' are "
                    "MACs)."),
    N_("activations"): N_("The numbers a layer outputs for one image (its output map), which training keeps for the "
                          "backward pass and inference can free once the next layers have read them."),
    N_("parameters"): N_("The learned numbers of a model: weights and biases."),
    N_("bias"): N_("A learned number added to every output of a filter; layers followed by batch norm usually have "
                   "none."),
    N_("groups"): N_("A grouped convolution splits the input channels into g groups and each filter reads only its "
                     "group."),
    N_("cardinality"): N_("ResNeXt's number of parallel paths in a block, built as one convolution with that many "
                          "groups."),
    N_("growth rate"): N_("In a DenseNet, the number of new channels each layer adds to the concatenated input."),
    N_("v1.5"): N_("torchvision's ResNet puts the stride-2 on the 3x3 convolution of a bottleneck instead of the "
                   "first 1x1, which costs more MACs and is a little more accurate."),
    N_("ceil_mode"): N_("A pooling setting: with ceil_mode=True PyTorch rounds the output size up, so a last "
                        "partial window still gives an output pixel."),
    N_("receptive field"): N_("The input pixels (per side) that one unit of a layer can see."),
    N_("jump"): N_("The distance in input pixels between neighbouring units of a layer: the product of the strides "
                   "so far."),
    N_("stride"): N_("How many pixels a filter or pooling window moves between two outputs."),
    N_("padding"): N_("Zeros added around the input so that the window can also sit on the border."),
    N_("dilation"): N_("Gaps between a kernel's taps: a dilated 3x3 with dilation D spans D(3-1)+1 pixels."),
    N_("logit"): N_("A raw class score before the softmax turns the scores into probabilities."),
    N_("batch norm"): N_("Batch normalisation: each channel is shifted and scaled to zero mean and unit variance "
                         "over the mini-batch, then a learned scale and shift are applied."),
    N_("bottleneck"): N_("A block that shrinks the channels with a 1x1 convolution before an expensive convolution "
                         "and restores them after it."),
    N_("depthwise"): N_("A depthwise convolution has one filter per input channel (groups equal to channels): it "
                        "filters in space only."),
    N_("pointwise"): N_("A pointwise convolution is a 1x1 convolution: it mixes channels at each position."),
    N_("global average pooling"): N_("Averaging each whole feature map into one number, so a map becomes one "
                                     "feature."),
    N_("dropout"): N_("In training, setting random activations to zero so that units cannot rely on each other."),
    N_("local response normalisation"): N_("AlexNet's normalisation that divides each activation by the activity of "
                                           "neighbouring channels at the same position."),
    N_("auxiliary classifier"): N_("A side classifier in the middle of a network that adds to the training loss and "
                                   "is removed for inference."),
    N_("label smoothing"): N_("Training targets that give the true class a little less than 1 and every other class "
                              "a little more than 0."),
    N_("transposed convolution"): N_("A layer that spreads every input pixel through a kernel onto a larger output: "
                                     "the way a decoder grows maps."),
    N_("residual"): N_("What a block adds to its input: the block outputs F(x) + x."),
    N_("stochastic depth"): N_("Training that skips random residual branches (the block becomes the identity); all "
                               "blocks run at test time."),
}

# Terms every architecture page uses in its fixed parts (metrics, layer table, quiz), whatever its lecture says.
ON_EVERY_ARCHITECTURE_PAGE = ("parameters", "MACs", "FLOPs", "activations", "groups", "bias", "padding", "stride",
                              "ceil_mode", "receptive field", "jump")


def _pattern(term: str) -> re.Pattern:
    # "MACs" also matches "MAC"; a trailing "s" is optional for every term ("logits", "groups").
    stem = re.escape(term[:-1] if term.endswith("s") and len(term) > 3 else term)
    return re.compile(rf"(?<![\w.]){stem}s?(?![\w])", re.IGNORECASE)


PATTERNS = {term: _pattern(term) for term in GLOSSARY}


def terms_in(text: str) -> list[str]:
    """The glossary's terms that ``text`` uses, in glossary order."""
    return [term for term, pattern in PATTERNS.items() if pattern.search(text)]


def architecture_page_terms(texts: list[str]) -> list[tuple[str, str]]:
    """(term, definition) for the terms an architecture page uses: its fixed parts plus its own ``texts``."""
    used = set(terms_in("\n".join(texts))) | set(ON_EVERY_ARCHITECTURE_PAGE)
    return [(term, GLOSSARY[term]) for term in GLOSSARY if term in used]


def page_texts(arch, notes) -> list[str]:
    """Every sentence an architecture page shows from its entry, its lecture and its paper-vs-implementation
    rows (``arch``: zoo Architecture, ``notes``: its Lecture or None)."""
    from cnnviz.lectures.paper_vs_impl import departures_for

    texts = [arch.idea, *arch.departures, *(v.note for v in arch.variants)]
    if notes is not None:
        texts += [notes.story, notes.key_caption, *notes.variants.values(), *notes.notes_facts,
                  *(caption for caption, _latex in notes.formulas)]
    texts += [part for d in departures_for(arch.key) for part in (d.title, d.implementation, d.paper, d.explanation)]
    return texts

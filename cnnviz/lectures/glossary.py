"""The jargon an architecture page uses, each term defined in one sentence, and which terms a text uses."""

from __future__ import annotations

import re

# term -> one self-contained sentence. Keys are matched in page text case-insensitively as whole words.
GLOSSARY: dict[str, str] = {
    "MACs": "Multiply-accumulates: one multiplication and one addition, the unit this app counts cost in.",
    "FLOPs": "Floating-point operations; one multiply-accumulate is two FLOPs, so FLOPs are about twice the MACs.",
    "activations": "The numbers a layer outputs for one image (its output map), which a forward pass must store.",
    "parameters": "The learned numbers of a model: weights and biases.",
    "bias": "A learned number added to every output of a filter; layers followed by batch norm usually have none.",
    "groups": "A grouped convolution splits the input channels into g groups and each filter reads only its group.",
    "cardinality": "ResNeXt's number of parallel paths in a block, built as one convolution with that many groups.",
    "growth rate": "In a DenseNet, the number of new channels each layer adds to the concatenated input.",
    "v1.5": "torchvision's ResNet puts the stride-2 on the 3x3 convolution of a bottleneck instead of the first "
            "1x1, which costs more MACs and is a little more accurate.",
    "ceil_mode": "A pooling setting: with ceil_mode=True PyTorch rounds the output size up, so a last partial "
                 "window still gives an output pixel.",
    "receptive field": "The input pixels (per side) that one unit of a layer can see.",
    "jump": "The distance in input pixels between neighbouring units of a layer: the product of the strides so far.",
    "stride": "How many pixels a filter or pooling window moves between two outputs.",
    "padding": "Zeros added around the input so that the window can also sit on the border.",
    "dilation": "Gaps between a kernel's taps: a dilated 3x3 with dilation D spans D(3-1)+1 pixels.",
    "logit": "A raw class score before the softmax turns the scores into probabilities.",
    "batch norm": "Batch normalisation: each channel is shifted and scaled to zero mean and unit variance over "
                  "the mini-batch, then a learned scale and shift are applied.",
    "bottleneck": "A block that shrinks the channels with a 1x1 convolution before an expensive convolution and "
                  "restores them after it.",
    "depthwise": "A depthwise convolution has one filter per input channel (groups equal to channels): it filters "
                 "in space only.",
    "pointwise": "A pointwise convolution is a 1x1 convolution: it mixes channels at each position.",
    "global average pooling": "Averaging each whole feature map into one number, so a map becomes one feature.",
    "dropout": "In training, setting random activations to zero so that units cannot rely on each other.",
    "local response normalisation": "AlexNet's normalisation that divides each activation by the activity of "
                                    "neighbouring channels at the same position.",
    "auxiliary classifier": "A side classifier in the middle of a network that adds to the training loss and "
                            "is removed for inference.",
    "label smoothing": "Training targets that give the true class a little less than 1 and every other class a "
                       "little more than 0.",
    "transposed convolution": "A layer that spreads every input pixel through a kernel onto a larger output: "
                              "the way a decoder grows maps.",
    "residual": "What a block adds to its input: the block outputs F(x) + x.",
    "stochastic depth": "Training that skips random residual branches (the block becomes the identity); all "
                        "blocks run at test time.",
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
                  *(caption for caption, _ in notes.formulas)]
    texts += [part for d in departures_for(arch.key) for part in (d.title, d.implementation, d.paper, d.explanation)]
    return texts

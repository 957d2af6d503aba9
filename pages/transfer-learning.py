"""Transfer learning: pretrain, then freeze the encoder and train a new head, or fine-tune; which parameters
train in each case, counted on a live model."""

from ui.first_visit import through_app

through_app()

from pathlib import Path

import pandas as pd
import streamlit as st

from cnnviz.format import megabytes
from cnnviz.i18n import N_, _
from cnnviz.lectures.transfer_stages import MODES, PRETRAINED_NETWORKS as MODELS, Stage, freezing_figure
from cnnviz.lectures.topics import TRANSFER_STRATEGIES, fine_tuning_overtakes, measured_by_size
from cnnviz.lectures.transfer_table import freezing_code, stage_rows
from cnnviz.training.bundled import load_bundled_or_none, missing_message
from cnnviz.training.transfer import MODES as TRANSFER_MODES
from cnnviz.zoo.registry import resolve
from ui import cached, presenter, url_state
from ui.catalog import page_groups

ROOT = Path(__file__).resolve().parents[1]
NUMBER = st.column_config.NumberColumn(format="localized")

st.title(_("Transfer learning"))
st.markdown(_(
    "A network trained on ImageNet's 1.2 million photos has already learned to see. To solve a new task with "
    "little data, keep its **encoder** (the convolutional stages) and give it a new **head** (the last layer, "
    "sized for the new classes):\n"
    "1. **Pretrain** on a large data set (or download the weights).\n"
    "2. **Freeze the encoder and train only the new head** (feature extraction; what the notes call transfer "
    "learning). Fast, needs little data: the frozen encoder's features can even be computed once and stored.\n"
    "3. Or **fine-tune**: unfreeze the top stages, or everything, and train on with a small learning rate. "
    "Better when the new data are plentiful or unlike ImageNet."))

st.header(_("Early features are generic, late ones specific"))
st.write(_("Each stage sees a larger window of the image, its receptive field, computed with the notes' rule. "
           "Early stages see a few pixels and respond to edges and colour blobs, useful for any image; the last "
           "stages see most of the image and respond to parts of the old task's objects. That is why the early "
           "stages are frozen first and unfrozen last."))
st.latex(r"l_k = l_{k-1} + (f_k - 1)\prod_{i=1}^{k-1} s_i")
st.caption(_("l: receptive field of layer k in input pixels, f: its kernel size, s: the strides before it. "
             "Where paths join (residual, dense, inception) the largest window counts."))

left, middle, right = st.columns([2, 1, 2])
model = left.selectbox(_("Pretrained network"), MODELS, format_func=lambda name: _(resolve(name)[1].label),
                       key=url_state.bind("model", "transfer_learning_model", MODELS[0], choices=MODELS))
new_classes = middle.number_input(_("New classes"), min_value=1, max_value=100_000, step=1,
                                  key=url_state.bind("classes", "transfer_learning_classes", 10, bounds=(1, 100_000)))
modes = list(MODES)
mode = right.radio(_("Mode"), modes, format_func=lambda m: _(MODES[m]),
                   key=url_state.bind("mode", "transfer_learning_mode", modes[0], choices=modes))

stages = [Stage(**row) for row in cached.transfer_stages(model)]
encoder_count = len(stages) - 1  # the last stage is the head
top = 1
if mode == "top":
    # choices, not bounds: a count kept from a deeper network falls back when this one has fewer stages.
    top = st.slider(_("Stages to unfreeze (from the top)"), 1, encoder_count,
                    key=url_state.bind("top", "transfer_learning_top", 1, choices=range(1, encoder_count + 1)))
freezing = cached.transfer_freezing(model, mode, int(new_classes), top if mode == "top" else 0)
total = freezing["trainable"] + freezing["frozen"]

a, b, c, d = st.columns(4)
a.metric(_("Trainable parameters"), f"{freezing['trainable']:,}",
         _("{share} of the model").format(share=f"{freezing['trainable'] / total:.2%}"), delta_color="off")
b.metric(_("Frozen parameters"), f"{freezing['frozen']:,}")
c.metric(_("New head"), f"{freezing['new_head']:,}",
         help=_("a linear layer to {classes} classes, with biases").format(classes=new_classes))
d.metric(_("Gradients + momentum"), f"{megabytes(freezing['trainable'], 8):.1f} MiB",
         help=_("Two float32 values (4 bytes each) per trainable parameter: its gradient and the momentum buffer of "
                "the SGD optimiser below"))

size = resolve(model)[1].input_size
records = pd.DataFrame(stage_rows(stages, freezing, size))  # English column names: translated when shown
headers = {column: _(column) for column in records.columns}
st.dataframe(records.drop(columns=["modules"]).rename(columns=headers), hide_index=True, width="stretch",
             column_config={headers["parameters"]: NUMBER, headers["MACs"]: NUMBER})
st.plotly_chart(freezing_figure(stages, tuple(freezing["trainable_stages"]), freezing["new_head"]),
                width="stretch", key="transfer_learning_chart")
st.caption(_("Stages: runs of blocks with the same output size, input {size}x{size}; the head row is the new "
             "head. Frozen batch-norm layers should also stay in `eval` mode, so that their running statistics keep "
             "the pretrained values.").format(size=size))
with st.expander(_("Which modules make up each stage")):
    st.dataframe(records[["stage", "modules"]].rename(columns=headers), hide_index=True, width="stretch")

st.markdown(_("**The same in PyTorch** (generated for this model and mode):"))
with presenter.folded(N_("The PyTorch code")):
    st.code(freezing_code(stages, freezing, mode, int(new_classes)), language="python")

st.header(_("Which to choose: how much data, how similar to ImageNet"))
strategies = {_(data): {_(similarity): _(advice) for similarity, advice in row.items()}
              for data, row in TRANSFER_STRATEGIES.items()}
st.dataframe(pd.DataFrame(strategies).T.rename_axis(_("your data")), width="stretch")
st.caption(_("The usual rule of thumb (Stanford CS231n, 2017, lecture 7), which the notes' freeze-or-fine-tune "
             "advice follows."))
bundle = load_bundled_or_none("transfer")
if bundle is None:
    st.info(missing_message("transfer"))
else:
    measured = measured_by_size(bundle)
    st.dataframe(pd.DataFrame(measured).rename(columns=lambda c: _(TRANSFER_MODES.get(c, c))), hide_index=True,
                 width="stretch")
    sizes = ", ".join(str(row["images per class"]) for row in measured)
    st.caption(_("Measured by the app: test accuracy (%) of pretrained EfficientNet-Lite0 on handwritten digits "
                 "drawn black on white, a task very different from ImageNet's photos, with {sizes} training images "
                 "per class: very little data.").format(sizes=sizes))
    fewest, overtakes = measured[0], fine_tuning_overtakes(measured)
    if fewest["frozen"] > fewest["finetune"] and overtakes:
        st.caption(_("With {fewest} images per class the frozen encoder wins ({frozen}% against {finetune}%). "
                     "Fine-tuning everything overtakes it from {overtakes} images per class on: the more data, the "
                     "more layers are worth training.").format(
            fewest=fewest["images per class"], frozen=fewest["frozen"], finetune=fewest["finetune"],
            overtakes=overtakes))
    elif overtakes is None:
        st.caption(_("At these sizes fine-tuning never beats the frozen encoder."))

registered = {entry.path for entries in page_groups().values() for entry in entries}
links = [(path, label) for path, label in (
    ("pages/inside-the-network.py",
     N_("See the generic and specific features: feature maps of a pretrained network")),
    ("pages/train-transfer.py", N_("Freeze or fine-tune for real: a small training run")))
    if (ROOT / path).exists() and path in registered]
if links:
    st.header(_("Try it"))
    for path, label in links:
        st.page_link(path, label=_(label), icon=":material/arrow_forward:")

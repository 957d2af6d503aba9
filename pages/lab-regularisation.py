"""Concept lab: dropout, data augmentation, multi-crop testing and ensembles, each on real tensors or a photo."""

from ui.first_visit import through_app

through_app()

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.i18n import N_, _
from cnnviz.imagelab.predict import DEFAULT_MODEL
from cnnviz.imagelab.pretrained import PRETRAINED_TITLES
from cnnviz.labs import figures
from cnnviz.labs import regularisation as reg
from ui import cached, presenter, url_state
from ui.busy import when_free
from ui.photo import pick_photo

PAGE = "lab_regularisation"
RATES = [i / 10 for i in range(10)]  # the dropout slider's steps, 0 to 0.9


def _rate(raw: str) -> float:
    """A link's dropout rate, one of the slider's steps (p=0.3)."""
    rate = float(raw)
    steps = [step for step in RATES if abs(step - rate) < 1e-9]
    if not steps:
        raise url_state.BadValue(raw)
    return steps[0]


st.title(_("Dropout, augmentation, multi-crop and ensembles"))
st.write(_("AlexNet and VGG fought overfitting with dropout 0.5 in the fully connected layers and heavy data "
           "augmentation; at test time they averaged several crops of each image, and the best results came from "
           "averaging several networks. Each idea below runs live."))

st.header(_("Dropout"))
st.write(_("During training, dropout sets each activation to zero with probability p. PyTorch uses inverted "
           "dropout: it divides the kept activations by 1 − p, so the expected output equals the input and the "
           "layer does nothing at test time."))
st.latex(r"y_i = \frac{m_i\,x_i}{1-p},\quad m_i \sim \text{Bernoulli}(1-p)\quad\Rightarrow\quad"
         r"\mathbb{E}[y_i] = \frac{(1-p)\,x_i}{1-p} = x_i")
p = st.slider(_("Dropout rate p"), RATES[0], RATES[-1], step=0.1,
              key=url_state.bind("p", f"{PAGE}_p", 0.5, parse=_rate, show=lambda rate: f"{rate:g}"))
demo = reg.dropout_on_tensor(p)
a, b, c, d = st.columns(4)
a.metric(_("Mean of the input"), f"{demo.input_mean:.4f}")
b.metric(_("Mean after dropout (training)"), f"{demo.train_mean:.4f}")
c.metric(_("Set to zero"), f"{demo.zeroed:.2%}", help=_("expected: p = {p}").format(p=f"{p:.0%}"))
d.metric(_("Kept values multiplied by"), f"{demo.survivor_scale:.4g}", help=f"1 / (1 − p) = {1 / (1 - p):.4g}")
st.dataframe(pd.DataFrame({_("input"): demo.first_in, _("training output"): demo.first_out}).T.round(3)
             .rename_axis(_("values")), width="stretch")
st.caption((_("torch.nn.Dropout({p}) on {count} random values between 0.5 and 1.5 (the first eight shown). In `eval` "
              "mode the layer returns its input unchanged: checked.") if demo.eval_unchanged else
            _("torch.nn.Dropout({p}) on {count} random values between 0.5 and 1.5 (the first eight shown). In `eval` "
              "mode the layer returns its input unchanged: NOT the case here.")).format(p=f"{p:g}",
                                                                                       count=f"{demo.size:,}"))

st.header(_("Data augmentation: random crops and flips"))
photo = pick_photo(PAGE)
paper, exact = reg.paper_augmentation_factor(), reg.distinct_crops()
shift = reg.ALEXNET_RESIZE - reg.ALEXNET_CROP
st.write(_("AlexNet rescaled each training image so that its shorter side was {resize} pixels and cut out the "
           "central {resize}x{resize} patch (the photo keeps its proportions), then trained on random {crop}x{crop} "
           "crops of it and their mirror images, so each epoch saw the photo at another position. The crops below "
           "are cut the same way.").format(resize=reg.ALEXNET_RESIZE, crop=reg.ALEXNET_CROP))
x, y = st.columns(2)
x.metric(_("The paper's factor"), f"{paper:,}", help=f"({reg.ALEXNET_RESIZE} − {reg.ALEXNET_CROP})² · 2 = "
         f"{shift}² · 2")
y.metric(_("Distinct crops torchvision can draw"), f"{exact:,}",
         help=_("offsets 0 to {shift} on each axis, both ends included: {count}² · 2").format(shift=shift,
                                                                                              count=shift + 1))
st.caption(_("The paper counts {shift} offsets per axis; RandomCrop picks any of {count} (0 to {shift}), so "
             "{inputs} different inputs, nearly all overlapping heavily with each other.").format(
                 shift=shift, count=shift + 1, inputs=f"{exact:,}"))
crops = reg.augmented_crops(photo.image)
for column, (image, label) in zip(st.columns(len(crops)), crops, strict=True):
    column.image(image, caption=label, width="stretch", alt=_("A {crop}x{crop} training crop of the photo: "
                 "{where}").format(crop=reg.ALEXNET_CROP, where=label))

st.header(_("Multi-crop testing"))
name = DEFAULT_MODEL
st.write(_("At test time AlexNet averaged the softmax of ten {crop}x{crop} crops: the four corners and the centre, "
           "and the same five mirrored (torchvision's TenCrop). VGG evaluated densely and on many crops. Here: the "
           "image lab's {model} on this photo.").format(crop=reg.ALEXNET_CROP, model=_(PRETRAINED_TITLES[name])))
with st.spinner(_("Classifying ten crops of the photo…")):
    result = when_free(lambda: cached.ten_crop_prediction(name, photo.id, photo.image))
if result is not None:
    resized = np.asarray(reg.resized_for_crops(photo.image, cached.classifier(name).preprocessing))
    boxes = reg.five_crop_boxes(*result.size, result.crop)
    st.plotly_chart(figures.crop_boxes(resized, boxes, result.crop,
                                       _("Five of the ten crops ({width}x{height} photo); the other five are their "
                                         "mirror images").format(width=result.size[0], height=result.size[1])),
                    width="stretch", key=f"{PAGE}_boxes")
    a, b, c = st.columns(3)
    a.metric(_("Centre crop: top-1"), result.centre_label, f"{result.centre_probability:.1%}", delta_color="off")
    b.metric(_("'{label}' averaged over 10 crops").format(label=result.centre_label),
             f"{result.centre_class_averaged:.1%}")
    c.metric(_("10-crop average: top-1"), result.averaged_label, f"{result.averaged_probability:.1%}",
             delta_color="off")
    names = [_("{crop} (mirrored)").format(crop=_(n)) if i >= 5 else _(n)
             for i, n in enumerate(reg.TEN_CROP_NAMES * 2)]
    with presenter.folded(N_("Each crop's top class")):
        st.dataframe(pd.DataFrame({_("crop"): names, _("top-1 class"): result.crop_labels,
                                   _("probability (%)"): [round(100 * q, 1) for q in result.crop_probabilities]}),
                     hide_index=True, width="stretch")
    st.caption(_("Each crop sees a slightly different part of the photo; averaging their probabilities smooths out "
                 "the accidents of one crop, at ten times the cost of one forward pass."))

st.header(_("Ensembles"))
rows = [{_("model"): _(label), _("networks"): n, _("top-5 error (%)"): error}
        for label, n, error in reg.ALEXNET_ENSEMBLE]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
single, seven = reg.ALEXNET_ENSEMBLE[0][2], reg.ALEXNET_ENSEMBLE[-1][2]
st.caption(_("Krizhevsky et al. 2012, Table 2 (ILSVRC-2012 validation set), the notes' '7 CNN ensemble: {single}% → "
             "{seven}%': {points} points, {fewer} fewer errors. Two of the seven networks were pre-trained on a "
             "larger ImageNet release.").format(single=single, seven=seven, points=f"{single - seven:.1f}",
                                                fewer=f"{(single - seven) / single:.0%}"))
accuracies = reg.ensemble_accuracy()
st.plotly_chart(cached.figure("ensemble", lambda: figures.ensemble_curve(accuracies)), width="stretch",
                key=f"{PAGE}_ensemble")
st.caption(_("A computed toy: 10 classes, each classifier's scores are the true class plus its own random noise. "
             "One classifier is right {one} of the time; the average of {count} is right {all} of the time. Real "
             "networks trained on the same data make correlated mistakes, so real ensembles gain less than "
             "independent ones.").format(one=f"{accuracies[0]:.1%}", count=len(accuracies),
                                         all=f"{accuracies[-1]:.1%}"))

"""Concept lab: dropout, data augmentation, multi-crop testing and ensembles, each on real tensors or a photo."""

from ui.first_visit import through_app

through_app()

import numpy as np
import pandas as pd
import streamlit as st

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


st.title("Dropout, augmentation, multi-crop and ensembles")
st.write("AlexNet and VGG fought overfitting with dropout 0.5 in the fully connected layers and heavy data "
         "augmentation; at test time they averaged several crops of each image, and the best results came from "
         "averaging several networks. Each idea below runs live.")

st.header("Dropout")
st.write("During training, dropout sets each activation to zero with probability p. PyTorch uses inverted "
         "dropout: it divides the kept activations by 1 − p, so the expected output equals the input and the "
         "layer does nothing at test time.")
st.latex(r"y_i = \frac{m_i\,x_i}{1-p},\quad m_i \sim \text{Bernoulli}(1-p)\quad\Rightarrow\quad"
         r"\mathbb{E}[y_i] = \frac{(1-p)\,x_i}{1-p} = x_i")
p = st.slider("Dropout rate p", RATES[0], RATES[-1], step=0.1,
              key=url_state.bind("p", f"{PAGE}_p", 0.5, parse=_rate, show=lambda rate: f"{rate:g}"))
demo = reg.dropout_on_tensor(p)
a, b, c, d = st.columns(4)
a.metric("Mean of the input", f"{demo.input_mean:.4f}")
b.metric("Mean after dropout (training)", f"{demo.train_mean:.4f}")
c.metric("Set to zero", f"{demo.zeroed:.2%}", help=f"expected: p = {p:.0%}")
d.metric("Kept values multiplied by", f"{demo.survivor_scale:.4g}", help=f"1 / (1 − p) = {1 / (1 - p):.4g}")
st.dataframe(pd.DataFrame({"input": demo.first_in, "training output": demo.first_out}).T.round(3),
             width="stretch")
st.caption(f"torch.nn.Dropout({p:g}) on {demo.size:,} random values between 0.5 and 1.5 (the first eight shown). "
           f"In eval mode the layer returns its input unchanged: "
           f"{'checked' if demo.eval_unchanged else 'NOT the case here'}.")

st.header("Data augmentation: random crops and flips")
photo = pick_photo(PAGE)
paper, exact = reg.paper_augmentation_factor(), reg.distinct_crops()
shift = reg.ALEXNET_RESIZE - reg.ALEXNET_CROP
st.write(f"AlexNet resized each training image to {reg.ALEXNET_RESIZE}x{reg.ALEXNET_RESIZE} and trained on random "
         f"{reg.ALEXNET_CROP}x{reg.ALEXNET_CROP} crops and their mirror images, so each epoch saw the photo at "
         "another position.")
x, y = st.columns(2)
x.metric("The paper's factor", f"{paper:,}", help=f"({reg.ALEXNET_RESIZE} − {reg.ALEXNET_CROP})² · 2 = "
         f"{shift}² · 2")
y.metric("Distinct crops torchvision can draw", f"{exact:,}",
         help=f"offsets 0 to {shift} on each axis, both ends included: {shift + 1}² · 2")
st.caption(f"The paper counts {shift} offsets per axis; RandomCrop picks any of {shift + 1} (0 to {shift}), so "
           f"{exact:,} different inputs, nearly all overlapping heavily with each other.")
crops = reg.augmented_crops(photo.image)
for column, (image, label) in zip(st.columns(len(crops)), crops, strict=True):
    column.image(image, caption=label, width="stretch")

st.header("Multi-crop testing")
name = DEFAULT_MODEL
st.write(f"At test time AlexNet averaged the softmax of ten {reg.ALEXNET_CROP}x{reg.ALEXNET_CROP} crops: the four "
         "corners and the centre, and the same five mirrored (torchvision's TenCrop). VGG evaluated densely and "
         f"on many crops. Here: the image lab's {PRETRAINED_TITLES[name]} on this photo.")
result = when_free(lambda: cached.ten_crop_prediction(name, photo.id, photo.image))
if result is not None:
    resized = np.asarray(reg.resized_for_crops(photo.image, cached.classifier(name).preprocessing))
    boxes = reg.five_crop_boxes(*result.size, result.crop)
    st.plotly_chart(figures.crop_boxes(resized, boxes, result.crop,
                                       f"Five of the ten crops ({result.size[0]}x{result.size[1]} photo); the other "
                                       "five are their mirror images"), width="stretch", key=f"{PAGE}_boxes")
    a, b, c = st.columns(3)
    a.metric("Centre crop: top-1", result.centre_label, f"{result.centre_probability:.1%}", delta_color="off")
    b.metric(f"'{result.centre_label}' averaged over 10 crops", f"{result.centre_class_averaged:.1%}")
    c.metric("10-crop average: top-1", result.averaged_label, f"{result.averaged_probability:.1%}",
             delta_color="off")
    names = [f"{n}{' (mirrored)' if i >= 5 else ''}" for i, n in enumerate(reg.TEN_CROP_NAMES * 2)]
    with presenter.folded("Each crop's top class"):
        st.dataframe(pd.DataFrame({"crop": names, "top-1 class": result.crop_labels,
                                   "probability (%)": [round(100 * q, 1) for q in result.crop_probabilities]}),
                     hide_index=True, width="stretch")
    st.caption("Each crop sees a slightly different part of the photo; averaging their probabilities smooths out "
               "the accidents of one crop, at ten times the cost of one forward pass.")

st.header("Ensembles")
rows = [{"model": label, "networks": n, "top-5 error (%)": error} for label, n, error in reg.ALEXNET_ENSEMBLE]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
single, seven = reg.ALEXNET_ENSEMBLE[0][2], reg.ALEXNET_ENSEMBLE[-1][2]
st.caption(f"Krizhevsky et al. 2012, Table 2 (ILSVRC-2012 validation set), the notes' '7 CNN ensemble: {single}% → "
           f"{seven}%': {single - seven:.1f} points, {(single - seven) / single:.0%} fewer errors. Two of the seven "
           "networks were pre-trained on a larger ImageNet release.")
accuracies = reg.ensemble_accuracy()
st.plotly_chart(figures.ensemble_curve(accuracies), width="stretch", key=f"{PAGE}_ensemble")
st.caption(f"A computed toy: 10 classes, each classifier's scores are the true class plus its own random noise. "
           f"One classifier is right {accuracies[0]:.1%} of the time; the average of {len(accuracies)} is right "
           f"{accuracies[-1]:.1%} of the time. Real networks trained on the same data make correlated mistakes, "
           "so real ensembles gain less than independent ones.")

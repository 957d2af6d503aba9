"""LeNet-5 trained live on handwritten digits: loss and accuracy as it learns, filters and maps before/after."""

from ui.first_visit import through_app

through_app()

import streamlit as st

from cnnviz import i18n
from cnnviz.format import device_name
from cnnviz.i18n import N_, _
from cnnviz.training import lenet_live as lenet
from cnnviz.training.charts import image_grid, learning_curves
from cnnviz.training.data import digits_scanned
from cnnviz.training.lenet_live import LeNetConfig
from cnnviz.training.progress import fraction_done
from ui import url_state
from ui.training_queue import training_turn

ACTIVATIONS = {"tanh": N_("tanh (the paper)"), "relu": "ReLU", lenet.BOTH: N_("both, one after the other")}
MOST_EPOCHS = 30

# The training under way, rewritten at every epoch: Streamlit stops the script mid-loop when the page is left or
# another widget is pressed, and this is then what was trained so far (removed when a training finishes).
PARTIAL = "train_lenet_partial"

DIGIT_COUNT, SCAN_SIDE = digits_scanned()
SIDE = lenet.input_side()

st.title(_("LeNet-5 trained live"))
st.write(_("LeNet-5 (LeCun et al., 1998) learns to read the {count} handwritten digits that ship with scikit-learn "
           "({scan}x{scan} scans, upsampled to the {side}x{side} input LeNet-5 expects). Training runs here, now, on "
           "this machine: SGD with momentum {momentum} on mini-batches of {batch}, from a fixed seed, so the same "
           "settings give the same run.").format(count=f"{DIGIT_COUNT:,}", scan=SCAN_SIDE, side=SIDE,
                                                 momentum=f"{LeNetConfig.momentum:g}", batch=LeNetConfig.batch_size))


def _activation(choice: str) -> str:
    return _(ACTIVATIONS[choice])


left, middle, right = st.columns(3)
activation = left.radio(_("Activation"), list(ACTIVATIONS), format_func=_activation, horizontal=True,
                        key=url_state.bind("activation", "train_lenet_activation", lenet.DEFAULT_CHOICE,
                                           choices=ACTIVATIONS))
epochs = middle.slider(_("Epochs"), 1, MOST_EPOCHS,
                       key=url_state.bind("epochs", "train_lenet_epochs", LeNetConfig.epochs, bounds=(1, MOST_EPOCHS)))
lr = right.select_slider(_("Learning rate"), lenet.LEARNING_RATES,
                         key=url_state.bind("lr", "train_lenet_lr", LeNetConfig.lr, choices=lenet.LEARNING_RATES))
start = st.button(_("Train"), type="primary", key="train_lenet_start", icon=":material/play_arrow:")

st.latex(r"L_0 = -\ln \frac{1}{10} = \ln 10 \approx " + f"{lenet.UNTRAINED_LOSS:.4f}" + r"\ \text{nats}")
st.caption(_("Before training the ten outputs are nearly equal, so the softmax gives each class about 1/10 and "
             "the cross-entropy starts near ln 10. A first loss far from it means a wiring bug, before any "
             "learning."))

notice, curves, progress = st.empty(), st.empty(), st.empty()


def train(chosen: list[str]) -> None:
    data = lenet.lenet_data()
    finished: list = []
    bar = progress.progress(0.0, text=_("Starting…"))
    epoch_text = _("{activation}: epoch {done}/{total}, loss {loss}, validation accuracy {accuracy}")

    def show(run, done: int, total: int) -> None:
        # Before any Streamlit call: the script can be stopped inside one of them.
        st.session_state[PARTIAL] = {"runs": finished + [run], "done": done, "epochs": total, "queue": len(chosen)}
        st.session_state.pop("train_lenet_runs", None)  # the last training's results are replaced from now on
        bar.progress(fraction_done([1] * len(chosen), len(finished), done, total),
                     text=epoch_text.format(activation=run.activation, done=done, total=total,
                                            loss=f"{run.train_loss[-1]:.3f}", accuracy=f"{run.val_accuracy[-1]:.1%}"))
        curves.plotly_chart(learning_curves(finished + [run], epochs), width="stretch",
                            key=f"train_lenet_live_{len(finished)}_{done}")

    for name in chosen:
        finished.append(lenet.train_lenet(LeNetConfig(activation=name, epochs=epochs, lr=lr), show, data))
    st.session_state["train_lenet_runs"] = finished
    st.session_state["train_lenet_sizes"] = data.sizes
    st.session_state["train_lenet_figures"] = {}
    st.session_state.pop(PARTIAL, None)
    progress.empty()


trained = False
if start:
    chosen = lenet.activations(activation)
    # In turn with the other sessions' trainings; a full line says so here and the last results stay below.
    with training_turn("lenet", epochs * len(chosen), notice) as trained:
        if trained:
            train(chosen)
elif PARTIAL in st.session_state:
    partial = st.session_state[PARTIAL]
    stopped = partial["runs"][-1]
    if partial["queue"] > 1:
        stopped_text = _("The last run stopped at epoch {done} of {epochs} ({activation}, run {run} of {runs}) when "
                         "the page was left; press **Train** to run it again.").format(
            done=partial["done"], epochs=partial["epochs"], activation=_activation(stopped.activation),
            run=len(partial["runs"]), runs=partial["queue"])
    else:
        stopped_text = _("The last run stopped at epoch {done} of {epochs} when the page was left; press **Train** "
                         "to run it again.").format(done=partial["done"], epochs=partial["epochs"])
    notice.info(stopped_text, icon=":material/pause_circle:")
    curves.plotly_chart(learning_curves(partial["runs"], partial["epochs"]), width="stretch",
                        key="train_lenet_partial_curves")
    st.stop()

runs = st.session_state.get("train_lenet_runs")
if not runs:
    st.info(_("Press **Train** to start: the default ({activation}, {epochs} epochs) takes a few seconds.").format(
        activation=_activation(lenet.DEFAULT_CHOICE), epochs=LeNetConfig.epochs), icon=":material/info:")
    st.stop()

# Building these plotly figures took ~0.35 s per rerun, on every widget change: build each once per training.
# Kept as figures, not dicts: st.plotly_chart validates a dict by rebuilding the figure, which costs ~0.15 s.
figures = st.session_state.setdefault("train_lenet_figures", {})
if st.session_state.get("train_lenet_figures_language") != i18n.current():  # their texts are in another language
    figures.clear()
    st.session_state["train_lenet_figures_language"] = i18n.current()


def cached(key: tuple, build):
    if key not in figures:
        figures[key] = build()
    return figures[key]


if not trained:  # else the curves drawn live stay
    curves.plotly_chart(cached(("curves",), lambda: learning_curves(runs, len(runs[0].train_loss))),
                        width="stretch", key="train_lenet_curves")
train_n, val_n, test_n = st.session_state["train_lenet_sizes"]
st.caption(_("Training set {train} digits, validation {val}, test {test} (stratified, seed {seed}). Epoch mean = mean "
             "loss over the epoch's mini-batches while the weights were changing.").format(
    train=train_n, val=val_n, test=test_n, seed=LeNetConfig.seed))

for column, run in zip(st.columns(len(runs)), runs):
    column.header(_activation(run.activation))
    a, b, c = column.columns(3)
    a.metric(_("First loss"), f"{run.initial_loss:.4f}",
             _("{difference} vs ln 10").format(difference=f"{run.initial_loss - lenet.UNTRAINED_LOSS:+.4f}"),
             delta_color="off", help=_("Mean cross-entropy on the training set before the first update"))
    b.metric(_("Test accuracy"), f"{run.test_accuracy:.1%}",
             help=_("{count} digits never seen in training").format(count=test_n))
    c.metric(_("Training time"), f"{run.seconds:.1f} s",
             help=_("{epochs} epochs on this machine's {device}").format(epochs=len(run.train_loss),
                                                                         device=device_name(run.device)))

trained = [run.activation for run in runs]
pick = st.selectbox(_("Filters and maps of"), trained, format_func=_activation,
                    key=url_state.bind("show", "train_lenet_show", trained[0], choices=trained))
run = next(r for r in runs if r.activation == pick)
kernels, kernel_side = len(run.before.filters), len(run.before.filters[0])
st.header(_("First-layer filters: the {count} kernels of C1, {side}x{side} each").format(count=kernels,
                                                                                          side=kernel_side))
before, after = st.columns(2)
filters = cached((pick, "filters"),
                 lambda: [image_grid(snap.filters, 6, height=150) for snap in (run.before, run.after)])
before.markdown(_("**Before training** (random)"))
before.plotly_chart(filters[0], width="stretch", key="train_lenet_f0")
after.markdown(_("**After training**"))
after.plotly_chart(filters[1], width="stretch", key="train_lenet_f1")
st.caption(_("Red positive, blue negative weights, each kernel on its own symmetric scale. Training moved the kernels "
             "by {change} of their initial size (‖W_after − W_before‖ / ‖W_before‖).").format(
    change=f"{run.filter_change():.0%}"))

st.header(_("A test digit through C1 and C3"))
digit, maps = st.columns([1, 5])
# In the link as the label numbers it, from 1.
digits_kept = range(len(run.sample_labels))
index = digit.selectbox(_("Test digit"), digits_kept,
                        format_func=lambda i: _("#{number}: a {digit}").format(number=i + 1,
                                                                               digit=run.sample_labels[i]),
                        key=url_state.bind("digit", "train_lenet_digit_pick", 1, choices=digits_kept,
                                           parse=lambda raw: int(raw) - 1, show=lambda i: str(i + 1)))


def digit_figures() -> dict:
    shown = {"digit": image_grid([run.sample_images[index]], 1, height=170, colorscale="Greys", symmetric=False)}
    for key, snap in enumerate((run.before, run.after)):
        shown[f"c1_{key}"] = image_grid(snap.c1_maps[index], 6, height=150, colorscale="Viridis", symmetric=False)
        shown[f"c3_{key}"] = image_grid(snap.c3_maps[index], 8, height=110, colorscale="Viridis", symmetric=False)
    return shown


shown = cached((pick, index), digit_figures)
digit.plotly_chart(shown["digit"], width="stretch", key="train_lenet_digit")
digit.caption(_("The input, {side}x{side} (standardised)").format(side=SIDE))
c1_maps, c3_maps = run.before.c1_maps[index], run.before.c3_maps[index]
before_text = _("**Before training**: {layer}, {count} maps of {height}x{width} after {activation}")
after_text = _("**After training**: {layer}, {count} maps of {height}x{width} after {activation}")
for text, key in ((before_text, 0), (after_text, 1)):
    maps.markdown(text.format(layer="C1", count=len(c1_maps), height=len(c1_maps[0]), width=len(c1_maps[0][0]),
                              activation=pick))
    maps.plotly_chart(shown[f"c1_{key}"], width="stretch", key=f"train_lenet_c1_{key}")
    maps.markdown(text.format(layer="C3", count=len(c3_maps), height=len(c3_maps[0]), width=len(c3_maps[0][0]),
                              activation=pick))
    maps.plotly_chart(shown[f"c3_{key}"], width="stretch", key=f"train_lenet_c3_{key}")
strength = run.c1_strength(index)
st.caption(_("Colour = activation value, each map on its own range (yellow high). The mean |activation| of C1 for "
             "this digit went from {before} before training to {after} after: the trained kernels respond strongly, "
             "each separating stroke from background in its own way, and the C3 maps pick out parts of the "
             "digit.").format(before=f"{strength[0]:.2f}", after=f"{strength[1]:.2f}"))
if len(runs) == 2:
    tanh, relu = runs
    st.header(_("tanh vs ReLU"))
    duel = lenet.duel(tanh, relu)
    faster, lower = lenet.WRITTEN[duel.faster], lenet.WRITTEN[duel.lower]
    st.write(_("Same seed, data order and optimiser; only the activation differs. After the first epoch the mean "
               "training loss was {tanh_first} with tanh and {relu_first} with ReLU ({faster} started faster); after "
               "{epochs} epochs {tanh_last} and {relu_last} ({lower} lower), with test accuracy {tanh_accuracy} and "
               "{relu_accuracy}.").format(
        tanh_first=f"{tanh.train_loss[0]:.3f}", relu_first=f"{relu.train_loss[0]:.3f}", faster=faster,
        epochs=len(tanh.train_loss), tanh_last=f"{tanh.train_loss[-1]:.4f}", relu_last=f"{relu.train_loss[-1]:.4f}",
        lower=lower, tanh_accuracy=f"{tanh.test_accuracy:.1%}", relu_accuracy=f"{relu.test_accuracy:.1%}"))
    st.caption(_("ReLU does not saturate, so its gradients do not vanish in deep nets: AlexNet's reason to adopt it. "
                 "On a five-layer net like LeNet-5 that advantage is small, and tanh, the paper's choice, keeps "
                 "up."))

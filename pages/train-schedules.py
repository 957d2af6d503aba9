"""Learning-rate schedules and optimisers from the notes, plotted from live training runs."""

from ui.first_visit import through_app

through_app()

import streamlit as st

from cnnviz.i18n import N_, _
from cnnviz.lectures.recipes import recipe_number
from cnnviz.training import optimisers as opt
from cnnviz.training import schedules as sch
from cnnviz.training.charts import loss_by_step, schedule_figure, training_loss_figure, valley_figure
from ui import cached, linked_tabs, url_state

st.title(_("Learning-rate schedules and optimisers"))
st.write(_("The notes give each classic network's training recipe. Here each schedule and optimiser trains the "
           "same small net (a 64-64-10 perceptron on the 8x8 scikit-learn digits, seed 0) live, with torch's own "
           "schedulers, so the learning rate you see is the one that was used."))

RESNET_DECAY = recipe_number("resnet50", "weight_decay", r"^([\d.]+)")
NOTES_DECAY = recipe_number("resnet50", "notes_disagree", r"weight decay ([\d.e-]+);")

EPOCH_STEP, MOST_EPOCHS, MOST_PATIENCE, MOST_WARM = 10, 200, 15, 10


def _epochs(raw: str) -> int:
    """``?epochs=60``: a stop of the slider, from one step to MOST_EPOCHS."""
    epochs = int(raw)
    if epochs % EPOCH_STEP or not EPOCH_STEP <= epochs <= MOST_EPOCHS:
        raise url_state.BadValue(raw)
    return epochs


def schedules_section() -> None:
    divide = f"{1 / sch.PLATEAU_FACTOR:g}"
    st.latex(rf"\text{{GoogLeNet:}}\quad \alpha_e = {sch.STEP_LR:g} \times "
             rf"{sch.STEP_GAMMA:g}^{{\lfloor e/{sch.STEP_EVERY} \rfloor}}")
    # The words after a formula are one sentence, with KaTeX's $...$ for the math inside it.
    # Two lines: as one, the sentence runs past the page's width at 1280 pixels.
    st.latex(rf"\begin{{gathered}}\text{{AlexNet, VGG:}}\quad \alpha_0 = {sch.PLATEAU_LR:g},\ "
             rf"\alpha \leftarrow \alpha / {divide} \\ \text{{"
             + _("when the validation loss has not improved for more than $p$ epochs, at most {drops} times").format(
                 drops=sch.PLATEAU_DROPS) + r"}\end{gathered}")
    st.latex(r"\text{" + _("ResNet warm-up:") + rf"}}\quad \alpha_e = {sch.WARM_LR:g}\ \text{{"
             + _("for $e < k$, then {lr}, then /{divide} on plateau").format(lr=f"{sch.RESNET_LR:g}", divide=divide)
             + "}")
    left, middle, right = st.columns(3)
    defaults = sch.Settings()
    settings = sch.Settings(
        epochs=left.slider(_("Epochs"), EPOCH_STEP, MOST_EPOCHS, step=EPOCH_STEP,
                           key=url_state.bind("epochs", "train_schedules_epochs", defaults.epochs, parse=_epochs)),
        patience=middle.slider(_("Plateau patience p (epochs)"), 1, MOST_PATIENCE,
                               key=url_state.bind("patience", "train_schedules_patience", defaults.patience,
                                                  bounds=(1, MOST_PATIENCE)),
                               help=_("The notes quote torch's default, patience=10; a short run needs less")),
        warm_epochs=right.slider(_("Warm-up epochs k"), 1, MOST_WARM,
                                 key=url_state.bind("warm", "train_schedules_warm", defaults.warm_epochs,
                                                    bounds=(1, MOST_WARM))))

    with st.spinner(_("Training the small net under this schedule…")):  # shown only past half a second: a new run
        runs = cached.schedule_runs(tuple(sch.SCHEDULES), settings)
    if runs is not None:  # None: the line was full, and one line says so
        titles = {name: sch.title(name) for name in runs}
        st.plotly_chart(cached.figure(("schedules", settings), lambda: schedule_figure(runs, titles)), width="stretch",
                        key="train_schedules_chart")

        # The formulas above, evaluated independently of torch, next to what torch's schedulers set.
        check = sch.check_formulas(runs, settings)
        last_step_lr = runs["step"].lr[-1]
        cols = st.columns(3)
        cols[0].metric(_("GoogLeNet lr in the last epoch"), f"{last_step_lr:.5f}",
                       _("{change} from {lr}").format(change=f"{last_step_lr / sch.STEP_LR - 1:+.1%}",
                                                      lr=f"{sch.STEP_LR:g}"),
                       delta_color="off")
        cols[1].metric(_("Plateau drops at epochs"), ", ".join(map(str, check.plateau_drops)) or _("none"),
                       help=_("The lr stops at {lr}: AlexNet's and VGG's recipes divide it by {divide} at most {drops} "
                              "times; torch's default min_lr=0 would go on").format(
                           lr=f"{sch.PLATEAU_MIN_LR:g}", divide=divide, drops=sch.PLATEAU_DROPS))
        cols[2].metric(_("Formula vs torch"), _("agree") if check.agree else _("differ"),
                       _("largest relative gap {gap}").format(gap=f"{check.largest_gap:.1e}"), delta_color="off")
        st.caption(_("The GoogLeNet schedule is gentle: {gamma} every {every} epochs halves the rate only after "
                     "{epochs} epochs. Divide-on-plateau reacts to the data: it drops when the validation loss "
                     "stalls, so its epochs cannot be known in advance.").format(
            gamma=f"{sch.STEP_GAMMA:g}", every=sch.STEP_EVERY, epochs=sch.epochs_to_halve()))
    st.warning(_("**What the notes get wrong about ResNet's recipe.** The {warm} warm-up was not ResNet's "
                 "ImageNet recipe: the paper used it only for its 110-layer CIFAR-10 net, and only until the training "
                 "error fell below 80 % (about 400 iterations), then went back to {lr}. ImageNet training started at "
                 "{lr}. And ResNet's weight decay was {decay}, not the notes' {notes_decay}.").format(
        warm=f"{sch.WARM_LR:g}", lr=f"{sch.RESNET_LR:g}", decay=f"{RESNET_DECAY:g}", notes_decay=f"{NOTES_DECAY:g}"),
               icon=":material/error:")


def optimisers_section() -> None:
    st.latex(r"\text{" + _("momentum:") + r"}\quad v^{t+1} = \mu v^t - \alpha \nabla_W L(W^t), \qquad "
             r"W^{t+1} = W^t + v^{t+1}")
    st.latex(r"\text{RMSProp:}\quad G^{t+1} = \mu G^t + (1-\mu)\,(\nabla_W L(W^t))^2, \qquad "
             r"W^{t+1} = W^t - \frac{\alpha\, \nabla_W L(W^t)}{\sqrt{G^{t+1} + \epsilon}}")
    a, b = opt.VALLEY
    limit = opt.largest_stable_lr()
    st.write(_("Both formulas, as written, on a narrow valley f(w) = ({a} w1² + {b} w2²) / 2: one direction is "
               "{ratio} times steeper than the other. Plain gradient descent must keep α below 2/{b} = {limit} or it "
               "diverges in the steep direction, and then crawls along the flat one.").format(
        a=f"{a:g}", b=f"{b:g}", ratio=f"{b / a:g}", limit=f"{limit:g}"))
    left, middle, right = st.columns(3)
    lr = left.select_slider(_("Learning rate α (SGD and momentum)"), opt.LEARNING_RATES,
                            key=url_state.bind("lr", "train_schedules_lr", opt.DEFAULT_LR, choices=opt.LEARNING_RATES))
    mu = middle.select_slider(_("Momentum μ"), opt.MOMENTA,
                              key=url_state.bind("mu", "train_schedules_mu", opt.DEFAULT_MU, choices=opt.MOMENTA),
                              help=_("The notes' recipes use 0.9; on this small valley 0.8 overshoots less"))
    rms_lr = right.select_slider(_("RMSProp α"), opt.RMSPROP_RATES,
                                 key=url_state.bind("rms", "train_schedules_rms", opt.DEFAULT_RMSPROP_LR,
                                                    choices=opt.RMSPROP_RATES))
    race = opt.race(lr, mu, rms_lr)
    left, right = st.columns(2)
    left.plotly_chart(cached.figure(("valley", lr, mu, rms_lr), lambda: valley_figure(race.paths, opt.VALLEY)),
                      width="stretch", key="train_schedules_valley")
    right.plotly_chart(cached.figure(("valley losses", lr, mu, rms_lr), lambda: loss_by_step(race.losses)),
                       width="stretch", key="train_schedules_valley_loss")
    if race.diverged:
        st.warning(_("{optimisers} diverged: α = {lr} is above 2 / {b} = {limit} for the steep direction, so each "
                     "step overshoots by more than it corrects.").format(optimisers=_(" and ").join(race.diverged),
                                                                   lr=f"{lr:g}", b=f"{b:g}", limit=f"{limit:g}"),
                   icon=":material/warning:")
    reached, missed = _("**{optimiser}**: f < {target} after {steps} steps"), _("**{optimiser}**: f < {target} not "
                                                                                 "reached in {steps} steps")
    st.markdown(" · ".join(reached.format(optimiser=name, target=f"{opt.TARGET:g}", steps=n) if n is not None else
                           missed.format(optimiser=name, target=f"{opt.TARGET:g}", steps=race.steps)
                           for name, n in race.reached.items()))
    st.caption(_("Momentum adds up gradients that agree (the flat direction) and cancels ones that flip sign (the "
                 "steep direction). RMSProp divides each coordinate by its recent gradient size, so both directions "
                 "move at about α per step: fast at first, then it hovers within about α of the minimum unless α "
                 "decays. torch.optim.SGD writes momentum as v ← μv + ∇L, W ← W − αv (the same steps while α "
                 "is constant); torch.optim.RMSprop puts ε outside the square root."))

    with st.spinner(_("Training the small net under this schedule…")):
        pair = cached.schedule_runs(tuple(sch.OPTIMISERS), sch.Settings())
    if pair is not None:  # None: the line was full, and one line says so
        st.markdown(_("**On the digits** (torch.optim, {epochs} epochs each):").format(epochs=sch.Settings().epochs))
        titles = {name: sch.title(name) for name in pair}
        st.plotly_chart(cached.figure("optimisers", lambda: training_loss_figure(pair, titles)), width="stretch",
                        key="train_schedules_digits")
        best = sch.lowest_validation_loss(pair)
        st.caption(_("Lowest validation loss: SGD+momentum {momentum}, RMSProp {rmsprop}. Both use their paper's "
                     "recipe unchanged on this small net. Inception v3's RMSProp starts at α = {lr}, {times} times "
                     "the SGD rate, and its ε = {eps} is large: while √G is much smaller than ε, the denominator "
                     "stays close to ε, so the steps are close to plain gradient steps without momentum. "
                     "torch.optim.RMSprop adds ε outside the square root; TensorFlow's RMSProp, which the paper "
                     "trained with, adds it inside.").format(
            momentum=f"{best['momentum']:.4f}", rmsprop=f"{best['rmsprop']:.4f}", lr=f"{sch.RMSPROP_LR:g}",
            times=f"{sch.RMSPROP_LR / sch.MOMENTUM_LR:g}", eps=f"{sch.RMSPROP_EPS:g}"))


# Two topics, one open at a time: the page's first view draws one chart instead of four.
TABS = {"schedules": N_("Three schedules"), "optimisers": N_("SGD with momentum vs RMSProp")}
linked_tabs.open_tab("train_schedules_tab", TABS, {"schedules": schedules_section, "optimisers": optimisers_section})

"""Learning-rate schedules and optimisers from the notes, plotted from live training runs."""

from ui.first_visit import through_app

through_app()

import numpy as np
import streamlit as st

from cnnviz.training import optimisers as opt
from cnnviz.training.charts import loss_by_step, schedule_figure, training_loss_figure, valley_figure
from cnnviz.training.schedules import SCHEDULES, plateau, step_decay, warmup
from ui import cached

st.title("Learning-rate schedules and optimisers")
st.write("The notes give each classic network's training recipe. Here each schedule and optimiser trains the "
         "same small net (a 64-64-10 perceptron on the 8x8 scikit-learn digits, seed 0) live, with torch's own "
         "schedulers, so the learning rate you see is the one that was used.")

st.subheader("Three schedules")
st.latex(r"\text{GoogLeNet:}\quad \alpha_e = 0.01 \times 0.96^{\lfloor e/8 \rfloor}")
st.latex(r"\text{AlexNet, VGG, ResNet:}\quad \alpha \leftarrow \alpha / 10 \ \text{ when the validation "
         r"loss has not improved for more than } p \text{ epochs}")
st.latex(r"\text{ResNet warm-up:}\quad \alpha_e = 0.01 \text{ for } e < k, \text{ then } 0.1, "
         r"\text{ then } /10 \text{ on plateau}")
left, middle, right = st.columns(3)
epochs = left.slider("Epochs", 10, 200, 60, step=10, key="train_schedules_epochs")
patience = middle.slider("Plateau patience p (epochs)", 1, 15, 4, key="train_schedules_patience",
                         help="The notes quote torch's default, patience=10; a short run needs less")
warm = right.slider("Warm-up epochs k", 1, 10, 2, key="train_schedules_warm")

runs = cached.schedule_runs(tuple(SCHEDULES), epochs, patience, warm)
st.plotly_chart(schedule_figure(runs), width="stretch", key="train_schedules_chart")

# The formulas above, evaluated independently of torch, next to what torch's schedulers set.
formula = {"step": step_decay(epochs), "warmup": warmup(epochs, warm_epochs=warm)[:warm] + plateau(
               runs["warmup"].val_loss[warm:], 0.1, patience=patience, min_lr=1e-3),
           "plateau": plateau(runs["plateau"].val_loss, 0.1, patience=patience, min_lr=1e-3)}
worst = max(abs(a - b) / b for name in formula for a, b in zip(formula[name], runs[name].lr))
drops = [e + 1 for e in range(1, epochs) if runs["plateau"].lr[e] < runs["plateau"].lr[e - 1]]
cols = st.columns(3)
cols[0].metric("GoogLeNet lr in the last epoch", f"{runs['step'].lr[-1]:.5f}",
               f"{runs['step'].lr[-1] / 0.01 - 1:+.1%} from 0.01", delta_color="off")
cols[1].metric("Plateau drops at epochs", ", ".join(map(str, drops)) or "none",
               help="The lr stops at 0.001 (three levels, as ResNet used); torch's default min_lr=0 would go on")
cols[2].metric("Formula vs torch", "agree" if worst < 1e-9 else "differ", f"largest relative gap {worst:.1e}",
               delta_color="off")
st.caption("The GoogLeNet schedule is gentle: 0.96 every 8 epochs halves the rate only after "
           f"{int(np.ceil(np.log(0.5) / np.log(0.96))) * 8} epochs. Divide-on-plateau reacts to the data: "
           "it drops when the validation loss stalls, so its epochs cannot be known in advance.")
st.warning("**What the notes get wrong about ResNet's recipe.** The 0.01 warm-up was not ResNet's ImageNet "
           "recipe: the paper used it only for its 110-layer CIFAR-10 net, and only until the training error "
           "fell below 80 % (about 400 iterations), then went back to 0.1. ImageNet training started at 0.1. "
           "And ResNet's weight decay was 0.0001, not the notes' 1e-5.", icon=":material/error:")

st.subheader("SGD with momentum vs RMSProp")
st.latex(r"\text{momentum:}\quad v^{t+1} = \mu v^t - \alpha \nabla_W L(W^t), \qquad W^{t+1} = W^t + v^{t+1}")
st.latex(r"\text{RMSProp:}\quad G^{t+1} = \mu G^t + (1-\mu)\,(\nabla_W L(W^t))^2, \qquad "
         r"W^{t+1} = W^t - \frac{\alpha\, \nabla_W L(W^t)}{\sqrt{G^{t+1} + \epsilon}}")
a, b = opt.VALLEY
st.write(f"Both formulas, as written, on a narrow valley f(w) = ({a:g} w1² + {b:g} w2²) / 2: one direction is "
         f"{b / a:g} times steeper than the other. Plain gradient descent must keep α below 2/{b:g} = "
         f"{2 / b:g} or it diverges in the steep direction, and then crawls along the flat one.")
left, middle, right = st.columns(3)
lr = left.select_slider("Learning rate α (SGD and momentum)", [0.01, 0.02, 0.03, 0.05, 0.08, 0.09, 0.1, 0.11],
                        value=0.03, key="train_schedules_lr")
mu = middle.select_slider("Momentum μ", [0.0, 0.5, 0.8, 0.9, 0.95, 0.99], value=0.8, key="train_schedules_mu",
                          help="The notes' recipes use 0.9; on this small valley 0.8 overshoots less")
rms_lr = right.select_slider("RMSProp α", [0.01, 0.02, 0.05, 0.1, 0.2], value=0.1, key="train_schedules_rms")
steps = 150
paths = {f"SGD α={lr:g}": opt.momentum_path(lr, 0.0, steps),
         f"momentum α={lr:g}, μ={mu:g}": opt.momentum_path(lr, mu, steps),
         f"RMSProp α={rms_lr:g}, μ=0.9": opt.rmsprop_path(rms_lr, 0.9, steps)}
left, right = st.columns(2)
left.plotly_chart(valley_figure({k: np.clip(v, -50, 50) for k, v in paths.items()}, opt.VALLEY), width="stretch",
                  key="train_schedules_valley")
right.plotly_chart(loss_by_step({k: opt.losses(v) for k, v in paths.items()}), width="stretch",
                   key="train_schedules_valley_loss")
reached = {name: opt.steps_to_reach(path, 1e-3) for name, path in paths.items()}
diverged = [name for name, path in paths.items() if opt.losses(path)[-1] > opt.losses(path)[0]]
if diverged:
    st.warning(f"{' and '.join(diverged)} diverged: α = {lr:g} is above 2 / {b:g} = {2 / b:g} for the steep "
               "direction, so each step overshoots by more than it corrects.", icon=":material/warning:")
st.markdown(" · ".join(f"**{name}**: f < 0.001 after {n} steps" if n is not None else
                       f"**{name}**: f < 0.001 not reached in {steps} steps" for name, n in reached.items()))
st.caption("Momentum adds up gradients that agree (the flat direction) and cancels ones that flip sign (the "
           "steep direction). RMSProp divides each coordinate by its recent gradient size, so both directions "
           "move at about α per step: fast at first, then it hovers within about α of the minimum unless α "
           "decays. torch.optim.SGD writes momentum as v ← μv + ∇L, W ← W − αv (the same steps while α is "
           "constant); torch.optim.RMSprop puts ε outside the square root.")

st.markdown("**On the digits** (torch.optim, 60 epochs each):")
pair = cached.schedule_runs(("momentum", "rmsprop"), 60, 4, 2)
st.plotly_chart(training_loss_figure(pair), width="stretch", key="train_schedules_digits")
best = {name: min(run.val_loss) for name, run in pair.items()}
st.caption(f"Lowest validation loss: SGD+momentum {best['momentum']:.4f}, RMSProp {best['rmsprop']:.4f}. "
           "RMSProp's α is ten times smaller because it divides by the gradient's size.")

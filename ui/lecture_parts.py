"""The lecture parts of an architecture page: story, key idea, notes check, walk, quiz, recipe, paper."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from cnnviz.analysis.summary import Summary
from cnnviz.lectures.glossary import architecture_page_terms, page_texts
from cnnviz.lectures.key_ideas import key_facts
from cnnviz.lectures.quiz import (LayerQuestion, default_layer, measure, measure_module, module_of, new_numbers,
                                  questions)
from cnnviz.lectures.spec import Lecture
from cnnviz.lectures.worked import worked
from cnnviz.zoo.spec import Architecture, Variant
from ui import cached, url_state


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:.4g}"


def story(lecture: Lecture | None) -> None:
    if lecture:
        st.markdown(lecture.story)


def terms(arch: Architecture, lecture: Lecture | None) -> None:
    """The jargon this page uses, each defined in one sentence."""
    with st.expander("Terms on this page"):
        for term, definition in architecture_page_terms(page_texts(arch, lecture)):
            st.markdown(f"**{term}** — {definition}")


def variant_note(lecture: Lecture | None, variant: Variant) -> None:
    if lecture and variant.name in lecture.variants:
        st.caption(f"**{variant.name}** — {lecture.variants[variant.name]}")


def _stacked(latex: str) -> str:
    """A line of worked numbers can be wider than the page and cannot wrap: one line per clause (after each
    '; ') and per aside (before a spaced '(')."""
    parts = re.split(r";\\ |\\ \\ (?=\()", latex)
    return r"\begin{gathered}" + r" \\ ".join(parts) + r"\end{gathered}" if len(parts) > 1 else latex


def key_idea(arch: Architecture, lecture: Lecture | None, variant: Variant, summary: Summary) -> None:
    facts = key_facts(arch.key, summary)
    block = lecture.key_block.get(variant.name) if lecture else None
    if not (facts or block or (lecture and lecture.formulas)):
        return
    st.subheader("The key idea, computed")
    # Full width: a formula with this model's numbers in it is one line that cannot wrap.
    formulas = lecture.formulas if lecture else ()
    numbers = worked(arch.key, summary) if formulas else []
    for index, (caption, formula) in enumerate(formulas):
        st.caption(caption)
        st.latex(formula)
        if index < len(numbers):
            st.latex(_stacked(numbers[index]))  # the same formula with this model's numbers
    left, right = st.columns([1, 1]) if block else (st.container(), None)
    if facts:
        left.dataframe(pd.DataFrame(facts, columns=["what", "computed from this model"]), hide_index=True,
                       width="stretch")
    if block and right is not None:
        right.caption(lecture.key_caption)
        right.graphviz_chart(cached.block_dot(variant.name, block), width="stretch")


def notes_check(arch: Architecture, lecture: Lecture | None) -> None:
    claims = cached.checked_claims(arch.key)
    wrong = [c for c in claims if not c["correct"]]
    facts = lecture.notes_facts if lecture else ()
    if not (claims or facts):
        return
    st.subheader("What the notes got wrong")
    for claim in wrong:
        st.warning(f"**Notes {claim['notes']}:** “{claim['quote']}”  \n"
                   f"Claimed {_number(claim['claimed'])} {claim['unit']} · computed **{_number(claim['computed'])}**.  \n"
                   f"{claim['explanation']}", icon=":material/error:")
    for fact in facts:
        st.warning(fact, icon=":material/error:")
    right = [c for c in claims if c["correct"]]
    if right:
        with st.expander(f"Numbers in the notes that the computation confirms ({len(right)})"):
            for claim in right:
                st.markdown(f"- “{claim['quote']}” — computed {_number(claim['computed'])} {claim['unit']}. "
                            f"{claim['explanation']}")


def _quiz_fields(summary: Summary) -> list:
    """The receptive-field rows of the model on screen (the quiz's field and jump questions)."""
    from cnnviz.zoo.registry import resolve

    default_size = resolve(summary.model)[1].input_size
    return cached.receptive_fields(summary.model, None if summary.input_size == default_size else summary.input_size)


def check_yourself(key: str, summary: Summary) -> None:
    layers = questions(summary, _quiz_fields(summary))
    if not layers:
        st.info("This model has no convolution or pooling layer with a square kernel on a square input to ask about.")
        return
    names = list(layers)
    left, right = st.columns([3, 1])
    chosen = left.selectbox("Ask about layer", names,
                            key=url_state.bind("quiz", f"{key}_{summary.model}_quiz_layer", default_layer(layers),
                                                 choices=names))
    seed_key = f"{key}_quiz_seed"
    if right.button("New numbers", key=f"{key}_quiz_new", help="Same kind of layer, other settings"):
        st.session_state[seed_key] = st.session_state.get(seed_key, 0) + 1
    seed = st.session_state.get(seed_key, 0)
    question: LayerQuestion = layers[chosen] if seed == 0 else new_numbers(layers[chosen], seed)
    st.markdown(f"**{question.describe()}**")
    st.caption("Work out each number, then press Check. A MAC is one multiply-accumulate (2 FLOPs). Activations "
               "are the numbers in this layer's output map. Receptive field and jump are measured in input pixels.")
    answers = question.answers()
    given: dict[str, int | None] = {}
    with st.form(f"{key}_quiz_form_{seed}_{chosen}", border=False):
        columns = st.columns(4)
        for index, answer in enumerate(answers):
            given[answer.key] = columns[index % 4].number_input(
                answer.label, min_value=0, step=1, value=None, help=answer.help,
                key=f"{key}_quiz_{answer.key}_{seed}_{chosen}")
        checked = st.form_submit_button("Check")
    reveal = st.toggle("Reveal the worked answers", key=f"{key}_quiz_reveal_{seed}_{chosen}")
    if not (checked or reveal):
        return
    for answer in answers:
        value = given[answer.key]
        if value == answer.value:
            st.success(f"{answer.label}: {value:,} is right.", icon=":material/check:")
        elif value is not None:
            st.error(f"{answer.label}: you said {value:,}; the answer is {answer.value:,}.", icon=":material/close:")
            if slip := question.why_wrong(answer.key, value):
                st.caption(slip)
        elif reveal:
            st.markdown(f"**{answer.label}: {answer.value:,}**")
        else:
            continue
        st.latex(answer.worked)
    if seed == 0:
        row = next(r for r in summary.layers if r.name == chosen)
        size, params, macs = measure_module(module_of(summary, chosen), row.input_shape)
        source = f"PyTorch, running the model's own {chosen}"
    else:
        size, params, macs = measure(question)
        source = "PyTorch, building this layer"
    st.caption(f"{source}: output {size}x{size}, {params:,} parameters, {macs:,} MACs (its FLOP counter).")


def recipe(key: str) -> None:
    try:
        from cnnviz.lectures.recipes import RECIPES
    except ImportError:
        return
    card = RECIPES.get(key)
    if card is None:
        return
    fields = [(name.replace("_", " "), value) for name, value in vars(card).items()
              if name not in ("source", "notes_disagree") and value]
    st.dataframe(pd.DataFrame(fields, columns=["", "as trained"]), hide_index=True, width="stretch")
    st.caption(f"Source: {card.source}")
    disagreement = getattr(card, "notes_disagree", "")
    if disagreement:
        st.warning(f"The notes differ: {disagreement}", icon=":material/error:")


def paper_vs_implementation(arch: Architecture) -> None:
    for row in cached.departure_counts(arch.key):
        st.markdown(f"**{row['title']}**")
        table = pd.DataFrame([
            {"model": row["implementation"], "parameters": row["impl_params"], "MACs": row["impl_macs"]},
            {"model": row["paper"], "parameters": row["paper_params"], "MACs": row["paper_macs"]},
            {"model": "difference (implementation − paper)", "parameters": row["impl_params"] - row["paper_params"],
             "MACs": row["impl_macs"] - row["paper_macs"]}])
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                    "MACs": st.column_config.NumberColumn(format="localized")})
        st.caption(row["explanation"])
    for line in arch.departures:
        st.markdown(f"- {line}")


def taught_topics(key: str) -> None:
    """What the notes teach beside the architecture: He initialisation and the 1202-layer ResNet on ResNet's page,
    why a 1x1 bottleneck loses little on ResNet's and GoogLeNet's."""
    if key == "resnet50":
        with st.expander("He initialisation, computed"):
            _he_initialisation()
    if key in ("resnet50", "googlenet"):
        with st.expander("Why a 1x1 bottleneck loses little"):
            _bottleneck_spectrum(key)
    if key == "resnet50":
        with st.expander("Deeper is not always better: ResNet-1202 on CIFAR-10"):
            _cifar_resnets()


def _he_initialisation() -> None:
    from cnnviz.lectures.topics import INITS, ReluStack, spread_figure, variance_factor, weight_variance

    stack = ReluStack()
    st.write("A ReLU sets half of its inputs to zero, so it halves the second moment of what passes through. With "
             "n_in inputs per unit, a layer multiplies the variance of the signal by n_in · Var(w) / 2. He et al. "
             "choose Var(w) = 2 / n_in, so that factor is exactly 1 at every depth; the notes call it 'Xavier/2'.")
    st.latex(rf"\mathrm{{Var}}(y_l) = \tfrac12\, n_\text{{in}}\,\mathrm{{Var}}(w)\,\mathrm{{Var}}(y_{{l-1}}),\qquad"
             rf"\mathrm{{Var}}(w) = \frac{{2}}{{n_\text{{in}}}} = \frac{{2}}{{{stack.width}}} = "
             rf"{weight_variance('He', stack):.6g}")
    spread = cached.topic_activation_spread()
    st.plotly_chart(spread_figure(spread), width="stretch", key="topic_he_spread")
    rows = [{"initialisation": name, "drawn from": INITS[name][0], "Var(w)": weight_variance(name, stack),
             "factor per layer, n_in·Var(w)/2": variance_factor(name, stack),
             "std, layer 1": stds[0], f"std, layer {stack.depth}": stds[-1]}
            for name, stds in spread.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ("Var(w)", "factor per layer, n_in·Var(w)/2", "std, layer 1",
                                          f"std, layer {stack.depth}")})
    st.caption(f"Live: {stack.depth} fully connected layers of {stack.width} units with ReLU, no bias, "
               f"{stack.batch} random input vectors, weights from a fixed torch.Generator (seed {stack.seed}). "
               "Under He the spread stays put; under Xavier it halves in variance at every layer; with a fixed "
               "standard deviation of 0.01 the signal has all but vanished after a few layers, and so do the "
               "gradients on the way back.")


def _bottleneck_spectrum(key: str) -> None:
    from cnnviz.imagelab.samples import SAMPLES
    from cnnviz.lectures.topics import spectrum_figure
    from ui.busy import when_free

    st.write("A 1x1 convolution from C to k channels is a k x C matrix applied at every pixel: it keeps a k-dimensional "
             "view of each pixel's C numbers. If the channels of real feature maps were independent that would "
             "throw away most of the signal; but they are strongly correlated, and most of the variance lies in a "
             "few directions. The best any such matrix can keep is the share of the variance in the top k "
             "principal components of the channels.")
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    photo = left.selectbox("Sample photo", list(SAMPLES), format_func=lambda k: SAMPLES[k].title,
                           key=url_state.bind("photo", f"{key}_topic_photo", next(iter(SAMPLES)), choices=list(SAMPLES)))
    # Off by default: the first run loads the pretrained network, which the page should not wait for.
    if not right.toggle("Run it through EfficientNet-Lite0", key=url_state.flag("run", f"{key}_topic_run")):
        return
    spectrum = when_free(lambda: cached.topic_bottleneck_spectrum(photo))
    if spectrum is None:
        return
    quarter, half = spectrum.channels // 4, spectrum.channels // 2
    a, b, c = st.columns(3)
    a.metric(f"Top C/4 = {quarter} directions", f"{spectrum.fraction(quarter):.1%}")
    b.metric(f"Top C/2 = {half} directions", f"{spectrum.fraction(half):.1%}")
    c.metric(f"Top {spectrum.kept_by_layer} (the network's own 1x1)", f"{spectrum.fraction(spectrum.kept_by_layer):.1%}")
    st.plotly_chart(spectrum_figure(spectrum), width="stretch", key=f"{key}_topic_spectrum")
    st.caption(f"Computed on the image lab's pretrained EfficientNet-Lite0: the {spectrum.channels}-channel map "
               f"entering its 1x1 convolution {spectrum.layer} (which keeps {spectrum.kept_by_layer} channels), "
               f"{spectrum.positions} pixels of this photo, principal components by scikit-learn. A trained 1x1 "
               "keeps what the next layers need rather than exactly these directions, and the ReLU before it makes "
               "the maps non-Gaussian, so this is the rank argument's size, not a proof.")


def _cifar_resnets() -> None:
    from cnnviz.lectures.topics import CIFAR_TABLE_6

    rows = cached.topic_cifar_resnets()
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"parameters (computed)": st.column_config.NumberColumn(format="localized")})
    by_depth = {row["layers"]: row for row in rows}
    deep, deepest = by_depth[110], by_depth[1202]
    st.write(f"He et al. trained residual nets on CIFAR-10 up to {CIFAR_TABLE_6[-1].depth} layers. The "
             f"1202-layer net has {deepest['parameters (computed)']:,} parameters, "
             f"{deepest['parameters (computed)'] / deep['parameters (computed)']:.1f} times the 110-layer net's "
             f"{deep['parameters (computed)']:,}, and trains to a similar training error, yet its test error is "
             f"worse: {deepest['test error (paper, %)']}% against {deep['test error (paper, %)']}%. The paper "
             "blames overfitting: 19.4 M parameters are too many for 50,000 small training images. As the notes "
             "say, depth cannot be increased without end.")
    st.caption("Parameters computed by building each net on the meta device with the paper's CIFAR design "
               "(3x3 stem, three stages of 16/32/64 channels, parameter-free option A shortcuts), as in the "
               "plain-vs-residual mini-training. Errors: He et al. 2016, Table 6 (110 layers: best of 5 runs).")

"""The lecture parts of an architecture page: story, key idea, notes check, walk, quiz, recipe, paper."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.analysis.summary import Summary
from cnnviz.lectures.key_ideas import key_facts
from cnnviz.lectures.quiz import LayerQuestion, from_layer, measure, new_numbers
from cnnviz.lectures.spec import Lecture
from cnnviz.lectures.walk import block_walk, input_step, layer_walk
from cnnviz.zoo.spec import Architecture, Variant
from ui import cached


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:.4g}"


def story(lecture: Lecture | None) -> None:
    if lecture:
        st.markdown(lecture.story)


def variant_note(lecture: Lecture | None, variant: Variant) -> None:
    if lecture and variant.name in lecture.variants:
        st.caption(f"**{variant.name}** — {lecture.variants[variant.name]}")


def key_idea(arch: Architecture, lecture: Lecture | None, variant: Variant, summary: Summary) -> None:
    facts = key_facts(arch.key, summary)
    block = lecture.key_block.get(variant.name) if lecture else None
    if not (facts or block or (lecture and lecture.formulas)):
        return
    st.subheader("The key idea, computed")
    left, right = st.columns([1, 1]) if block else (st.container(), None)
    with left:
        for caption, formula in lecture.formulas if lecture else ():
            st.caption(caption)
            st.latex(formula)
        if facts:
            st.dataframe(pd.DataFrame(facts, columns=["what", "computed from this model"]), hide_index=True,
                         width="stretch")
    if block and right is not None:
        with right:
            st.caption(lecture.key_caption)
            st.graphviz_chart(cached.block_dot(variant.name, block), width="stretch")


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


def walk(summary: Summary, deep: bool) -> None:
    steps = block_walk(summary) if deep else layer_walk(summary)
    st.caption("Generated from the model, in the notes' notation (height x width x channels). "
               + ("Blocks are listed with their subtotals." if deep else "Activations, BN and dropout omitted."))
    lines = [f"1. [{input_step(summary)}] INPUT"]
    lines += [f"1. [{s.output}] **{s.label}**: {s.description} — {s.params:,} params, {s.macs:,} MACs"
              for s in steps]
    st.markdown("\n".join(lines))


def check_yourself(key: str, summary: Summary) -> None:
    layers = {r.name: q for r in summary.layers if not r.auxiliary and (q := from_layer(r))}
    if not layers:
        st.info("This model has no square convolution or pooling layer to ask about.")
        return
    names = list(layers)
    left, right = st.columns([3, 1])
    chosen = left.selectbox("Ask about layer", names, key=f"{key}_quiz_layer")
    seed_key = f"{key}_quiz_seed"
    if right.button("New numbers", key=f"{key}_quiz_new", help="Same kind of layer, other settings"):
        st.session_state[seed_key] = st.session_state.get(seed_key, 0) + 1
    seed = st.session_state.get(seed_key, 0)
    question: LayerQuestion = layers[chosen] if seed == 0 else new_numbers(layers[chosen], seed)
    st.markdown(f"**{question.describe()}** What is the output size, how many parameters (with biases), "
                "and how many multiply-accumulates (MACs)?")
    a, b, c = st.columns(3)
    answers = (a.number_input("Output width", min_value=0, step=1, key=f"{key}_quiz_out_{seed}_{chosen}"),
               b.number_input("Parameters", min_value=0, step=1, key=f"{key}_quiz_params_{seed}_{chosen}"),
               c.number_input("MACs", min_value=0, step=1, key=f"{key}_quiz_macs_{seed}_{chosen}"))
    if st.toggle("Reveal the worked answer", key=f"{key}_quiz_reveal_{seed}_{chosen}"):
        worked = question.worked()
        truth = (question.output_size, question.params, question.macs)
        for label, formula, answer, right in zip(("Output width", "Parameters", "MACs"), worked.values(),
                                                 answers, truth):
            st.markdown(f"{label}: {'✔ right' if answer == right else f'you said {answer:,}'}")
            st.latex(formula)
        if not question.divides_evenly:
            st.caption("The division is not whole: PyTorch rounds down (floor), dropping the last pixels.")
        size, params, macs = measure(question)
        st.caption(f"PyTorch, building this layer: output {size}x{size}, {params:,} parameters, {macs:,} MACs.")


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

"""The lecture parts of an architecture page: story, key idea, notes check, walk, quiz, recipe, paper."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from cnnviz.analysis.graph_text import describe
from cnnviz.analysis.summary import Summary
from cnnviz.i18n import N_, _
from cnnviz.lectures.glossary import architecture_page_terms, page_texts
from cnnviz.lectures.quiz import LayerQuestion
from cnnviz.lectures.quiz_layers import default_layer, measure, measure_module, module_of, new_numbers, questions
from cnnviz.lectures.spec import Lecture
from cnnviz.lectures.worked import worked
from cnnviz.zoo.spec import Architecture, Variant
from ui import cached, folds, graphs, stepper, url_state


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:.4g}"


KEY_BLOCK_HEIGHT = 520  # pixels: a tall block (an Inception module) fits beside its facts
# A training recipe's fields (``cnnviz.lectures.recipes.Recipe``) as the table's row labels.
RECIPE_FIELDS = {"batch_size": N_("batch size"), "optimizer": N_("optimizer"), "learning_rate": N_("learning rate"),
                 "schedule": N_("schedule"), "weight_decay": N_("weight decay"), "dropout": N_("dropout"),
                 "augmentation": N_("augmentation"), "normalisation": N_("normalisation"), "epochs": N_("epochs")}


def story(lecture: Lecture | None) -> None:
    if lecture:
        st.markdown(_(lecture.story))


def terms(arch: Architecture, lecture: Lecture | None) -> None:
    """The jargon this page uses, each defined in one sentence (found in the English texts, shown translated)."""
    with st.expander(_("Terms on this page")):
        # One block, not one per term: every markdown element costs a new visitor's browser a parse of its own.
        st.markdown("\n\n".join(f"**{_(term)}** — {_(definition)}"
                                 for term, definition in architecture_page_terms(page_texts(arch, lecture))))


def variant_note(lecture: Lecture | None, variant: Variant) -> None:
    if lecture and variant.name in lecture.variants:
        st.caption(f"**{variant.name}** — {_(lecture.variants[variant.name])}")


def _stacked(latex: str) -> str:
    """A line of worked numbers can be wider than the page and cannot wrap: one line per clause (after each
    '; ') and per aside (before a spaced '(')."""
    parts = re.split(r";\\ |\\ \\ (?=\()", latex)
    return r"\begin{gathered}" + r" \\ ".join(parts) + r"\end{gathered}" if len(parts) > 1 else latex


def key_idea(arch: Architecture, lecture: Lecture | None, variant: Variant, summary: Summary) -> None:
    facts = cached.key_facts(arch.key, variant.name)
    block = lecture.key_block.get(variant.name) if lecture else None
    if not (facts or block or (lecture and lecture.formulas)):
        return
    st.header(_("The key idea, computed"))
    # Full width: a formula with this model's numbers in it is one line that cannot wrap.
    formulas = lecture.formulas if lecture else ()
    numbers = worked(arch.key, summary) if formulas else []
    for index, (caption, formula) in enumerate(formulas):
        st.caption(_(caption))
        st.latex(formula)
        if index < len(numbers):
            st.latex(_stacked(numbers[index]))  # the same formula with this model's numbers
    left, right = st.columns([1, 1]) if block else (st.container(), None)
    if facts:
        # A markdown table, not a data grid: its long values wrap instead of being cut at the column's edge.
        # The headers outside the f-string: message extraction does not look inside one.
        what_header, value_header = _("what"), _("computed from this model")
        rows = [f"| {what_header} | {value_header} |", "|---|---|"]
        rows += [f"| {_cell(_(what))} | {_cell(_(value))} |" for what, value in facts]
        left.markdown("\n".join(rows))
    if block and right is not None:
        right.caption(_(lecture.key_caption))
        dot = cached.block_dot(variant.name, block)
        if picture := cached.block_picture(variant.name, block):
            right.image(picture, width=stepper.width_within(picture, KEY_BLOCK_HEIGHT), alt=describe(dot))
        else:
            with right:
                graphs.chart(dot, width="stretch")


def _cell(text: str) -> str:
    """Text inside a markdown table cell: a pipe would end the cell."""
    return text.replace("|", "\\|")


def notes_check(arch: Architecture, lecture: Lecture | None) -> None:
    claims = cached.checked_claims(arch.key)
    wrong = [c for c in claims if not c["correct"]]
    facts = lecture.notes_facts if lecture else ()
    if not (claims or facts):
        return
    st.header(_("What the notes got wrong"))
    for claim in wrong:
        notes = _("**Notes {notes}:** “{quote}”").format(notes=_notes_name(claim), quote=_quote(claim))
        numbers = _("The notes give {claimed}; computed: **{computed}**.").format(
            claimed=_amount(claim, "claimed"), computed=_amount(claim, "computed"))
        st.warning(f"{notes}  \n{numbers}  \n{_explanation(claim)}", icon=":material/error:")
    for fact in facts:
        st.warning(_(fact), icon=":material/error:")
    right = [c for c in claims if c["correct"]]
    if right:
        with st.expander(_("Numbers in the notes that the computation confirms ({count})").format(count=len(right))):
            st.markdown("\n".join("- " + _("“{quote}” — computed: {computed}.").format(
                quote=_quote(claim), computed=_amount(claim, "computed")) + f" {_explanation(claim)}"
                for claim in right))


def _amount(claim: dict, which: str) -> str:
    """The claimed or computed number with its unit, worded whole in the session's language: "12 times fewer
    parameters"."""
    return _(claim["amount"]).format(number=_number(claim[which]))


def _quote(claim: dict) -> str:
    """The quote as the notes wrote it, with its translation where the session reads another language."""
    from cnnviz.lectures.course_notes import quoted

    return _literal(quoted(claim["quote"], claim.get("english") or None))


def _literal(text: str) -> str:
    """Text shown as written inside markdown: the notes' "224*224*3" would otherwise turn 224 into italics, and a
    dollar sign would start a formula."""
    return re.sub(r"([\\*_`$~])", r"\\\1", text)


def _notes_name(claim: dict) -> str:
    """Which file of the notes, and what it is: "001 (course notes (English/Chinese))"."""
    if "file" not in claim:
        return claim["notes"]
    return f"{claim['file']} ({_(claim['source'])})"


def _explanation(claim: dict) -> str:
    """The claim's explanation in the session's language: its English template translated, then filled in."""
    if "why" not in claim:
        return claim["explanation"]
    try:
        return _(claim["why"]).format(**claim["values"])
    except (KeyError, IndexError, ValueError):  # a translation that does not fit its numbers: the English
        return claim["explanation"]


def _quiz_fields(summary: Summary) -> list:
    """The receptive-field rows of the model on screen (the quiz's field and jump questions)."""
    from cnnviz.zoo.registry import resolve

    default_size = resolve(summary.model)[1].input_size
    return cached.receptive_fields(summary.model, None if summary.input_size == default_size else summary.input_size)


def check_yourself(key: str, summary: Summary) -> None:
    layers = questions(summary, _quiz_fields(summary))
    if not layers:
        st.info(_("This model has no convolution or pooling layer with a square kernel on a square input to ask "
                  "about."))
        return
    names = list(layers)
    left, right = st.columns([3, 1])
    chosen = left.selectbox(_("Ask about layer"), names,
                            key=url_state.bind("quiz", f"{key}_{summary.model}_quiz_layer", default_layer(layers),
                                                 choices=names))
    seed_key = f"{key}_quiz_seed"
    if right.button(_("New numbers"), key=f"{key}_quiz_new", help=_("Same kind of layer, other settings")):
        st.session_state[seed_key] = st.session_state.get(seed_key, 0) + 1
    seed = st.session_state.get(seed_key, 0)
    question: LayerQuestion = layers[chosen] if seed == 0 else new_numbers(layers[chosen], seed)
    st.markdown(f"**{question.describe()}**")
    st.caption(_("Work out each number, then press Check. A MAC is one multiply-accumulate (2 FLOPs). Activations "
                 "are the numbers in this layer's output map. Receptive field and jump are measured in input "
                 "pixels."))
    answers = question.answers()
    given: dict[str, int | None] = {}
    with st.form(f"{key}_quiz_form_{seed}_{chosen}", border=False):
        columns = st.columns(4)
        for index, answer in enumerate(answers):
            given[answer.key] = columns[index % 4].number_input(
                answer.label, min_value=0, step=1, value=None, help=answer.help,
                key=f"{key}_quiz_{answer.key}_{seed}_{chosen}")
        checked = st.form_submit_button(_("Check"))
    reveal = st.toggle(_("Reveal the worked answers"), key=f"{key}_quiz_reveal_{seed}_{chosen}")
    if not (checked or reveal):
        return
    for answer in answers:
        value = given[answer.key]
        if value == answer.value:
            st.success(_("{label}: {value} is right.").format(label=answer.label, value=f"{value:,}"),
                       icon=":material/check:")
        elif value is not None:
            st.error(_("{label}: you said {given}; the answer is {answer}.").format(
                label=answer.label, given=f"{value:,}", answer=f"{answer.value:,}"), icon=":material/close:")
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
        text = _("PyTorch, running the model's own {layer}: output {size}x{size}, {params} parameters, {macs} MACs "
                 "(its FLOP counter).")
    else:
        size, params, macs = measure(question)
        text = _("PyTorch, building this layer: output {size}x{size}, {params} parameters, {macs} MACs (its FLOP "
                 "counter).")
    st.caption(text.format(layer=chosen, size=size, params=f"{params:,}", macs=f"{macs:,}"))


def recipe(key: str) -> None:
    try:
        from cnnviz.lectures.recipes import RECIPES
    except ImportError:
        return
    card = RECIPES.get(key)
    if card is None:
        return
    fields = [(_(RECIPE_FIELDS.get(name, name.replace("_", " "))), _(value)) for name, value in vars(card).items()
              if name not in ("source", "notes_disagree") and value]
    st.dataframe(pd.DataFrame(fields, columns=["", _("as trained")]), hide_index=True, width="stretch")
    st.caption(_("Source: {source}").format(source=_(card.source)))
    disagreement = getattr(card, "notes_disagree", "")
    if disagreement:
        st.warning(_("The notes differ: {disagreement}").format(disagreement=_(disagreement)),
                   icon=":material/error:")


def paper_vs_implementation(arch: Architecture) -> None:
    model, parameters, macs = _("model"), _("parameters"), _("MACs")
    for row in cached.departure_counts(arch.key):
        st.markdown(f"**{_(row['title'])}**")
        table = pd.DataFrame([
            {model: _(row["implementation"]), parameters: row["impl_params"], macs: row["impl_macs"]},
            {model: _(row["paper"]), parameters: row["paper_params"], macs: row["paper_macs"]},
            {model: _("difference (implementation − paper)"), parameters: row["impl_params"] - row["paper_params"],
             macs: row["impl_macs"] - row["paper_macs"]}])
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={parameters: st.column_config.NumberColumn(format="localized"),
                                    macs: st.column_config.NumberColumn(format="localized")})
        st.caption(_(row["explanation"]))
        for difference in row["differences"]:
            st.caption(difference)
    for line in arch.departures:
        st.markdown(f"- {_(line)}")
    for line in cached.departure_notes(arch.key):
        st.text(f"- {line}")  # layer names, shown as text


def taught_topics(key: str) -> None:
    """What the notes teach beside the architecture: He initialisation and the 1202-layer ResNet on ResNet's page,
    why a 1x1 bottleneck loses little on ResNet's and GoogLeNet's."""
    # Folded until opened: their charts and tables are not part of the page's first view.
    if key == "resnet50":
        folds.fold(_("He initialisation, computed"), "he_init", f"{key}_he_init_open", _he_initialisation)
    if key in ("resnet50", "googlenet"):
        folds.fold(_("Why a 1x1 bottleneck loses little"), "bottleneck", f"{key}_bottleneck_open",
                   lambda: _bottleneck_spectrum(key))
    if key == "resnet50":
        folds.fold(_("Deeper is not always better: ResNet-1202 on CIFAR-10"), "resnet1202",
                   f"{key}_resnet1202_open", _cifar_resnets)


def _he_initialisation() -> None:
    from cnnviz.lectures.topics import INITS, ReluStack, spread_figure, variance_factor, weight_variance

    stack = ReluStack()
    st.write(_("A ReLU sets half of its inputs to zero, so it halves the second moment of what passes through. With "
               "n_in inputs per unit, a layer multiplies the variance of the signal by n_in · Var(w) / 2. He et al. "
               "choose Var(w) = 2 / n_in, so that factor is exactly 1 at every depth; the notes call it "
               "'Xavier/2'."))
    st.latex(rf"\mathrm{{Var}}(y_l) = \tfrac12\, n_\text{{in}}\,\mathrm{{Var}}(w)\,\mathrm{{Var}}(y_{{l-1}}),\qquad"
             rf"\mathrm{{Var}}(w) = \frac{{2}}{{n_\text{{in}}}} = \frac{{2}}{{{stack.width}}} = "
             rf"{weight_variance('He', stack):.6g}")
    spread = cached.topic_activation_spread()
    st.plotly_chart(spread_figure(spread), width="stretch", key="topic_he_spread")
    factor, first = _("factor per layer, n_in·Var(w)/2"), _("std, layer {layer}").format(layer=1)
    last = _("std, layer {layer}").format(layer=stack.depth)
    rows = [{_("initialisation"): name, _("drawn from"): _(INITS[name][0]), "Var(w)": weight_variance(name, stack),
             factor: variance_factor(name, stack), first: stds[0], last: stds[-1]}
            for name, stds in spread.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ("Var(w)", factor, first, last)})
    st.caption(_("Live: {depth} fully connected layers of {width} units with ReLU, no bias, {batch} random input "
                 "vectors, weights from a fixed torch.Generator (seed {seed}). Under He the spread stays put; under "
                 "Xavier it halves in variance at every layer; with a fixed standard deviation of 0.01 the signal has "
                 "all but vanished after a few layers, and so do the gradients on the way back.").format(
        depth=stack.depth, width=stack.width, batch=stack.batch, seed=stack.seed))


def _bottleneck_spectrum(key: str) -> None:
    from cnnviz.imagelab.samples import SAMPLES
    from cnnviz.lectures.topics import spectrum_figure
    from ui.busy import when_free

    st.write(_("A 1x1 convolution from C to k channels is a k x C matrix applied at every pixel: it keeps a "
               "k-dimensional view of each pixel's C numbers. If the channels of real feature maps were independent "
               "that would throw away most of the signal; but they are strongly correlated, and most of the "
               "variance lies in a few directions. The best any such matrix can keep is the share of the variance "
               "in the top k principal components of the channels."))
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    photo = left.selectbox(
        _("Sample photo"), list(SAMPLES), format_func=lambda k: _(SAMPLES[k].title),
        key=url_state.bind("photo", f"{key}_topic_photo", next(iter(SAMPLES)), choices=list(SAMPLES),
                           label=lambda k: _(SAMPLES[k].title)))
    # Off by default: the first run loads the pretrained network, which the page should not wait for.
    if not right.toggle(_("Run it through EfficientNet-Lite0"), key=url_state.flag("run", f"{key}_topic_run")):
        return
    spectrum = when_free(lambda: cached.topic_bottleneck_spectrum(photo))
    if spectrum is None:
        return
    quarter, half = spectrum.channels // 4, spectrum.channels // 2
    a, b, c = st.columns(3)
    a.metric(_("Top C/4 = {k} directions").format(k=quarter), f"{spectrum.fraction(quarter):.1%}")
    b.metric(_("Top C/2 = {k} directions").format(k=half), f"{spectrum.fraction(half):.1%}")
    c.metric(_("Top {k} (the network's own 1x1)").format(k=spectrum.kept_by_layer),
             f"{spectrum.fraction(spectrum.kept_by_layer):.1%}")
    st.plotly_chart(spectrum_figure(spectrum), width="stretch", key=f"{key}_topic_spectrum")
    st.caption(_("Computed on the image lab's pretrained EfficientNet-Lite0: the {channels}-channel map entering its "
                 "1x1 convolution {layer} (which keeps {kept} channels), {positions} pixels of this photo, principal "
                 "components by scikit-learn. A trained 1x1 keeps what the next layers need rather than exactly "
                 "these directions, and the ReLU before it makes the maps non-Gaussian, so this is the rank "
                 "argument's size, not a proof.").format(
        channels=spectrum.channels, layer=spectrum.layer, kept=spectrum.kept_by_layer, positions=spectrum.positions))


def _cifar_resnets() -> None:
    from cnnviz.lectures.topics import CIFAR_TABLE_6

    rows = cached.topic_cifar_resnets()  # English column names: translated when shown
    st.dataframe(pd.DataFrame(rows).rename(columns=_), hide_index=True, width="stretch",
                 column_config={_("parameters (computed)"): st.column_config.NumberColumn(format="localized")})
    by_depth = {row["layers"]: row for row in rows}
    deep, deepest = by_depth[110], by_depth[1202]
    st.write(_("He et al. trained residual nets on CIFAR-10 up to {depth} layers. The 1202-layer net has "
               "{deepest_params} parameters, {ratio} times the 110-layer net's {deep_params}, and trains to a similar "
               "training error, yet its test error is worse: {deepest_error}% against {deep_error}%. The paper "
               "blames overfitting: 19.4 M parameters are too many for 50,000 small training images. As the notes "
               "say, depth cannot be increased without end.").format(
        depth=CIFAR_TABLE_6[-1].depth, deepest_params=f"{deepest['parameters (computed)']:,}",
        ratio=f"{deepest['parameters (computed)'] / deep['parameters (computed)']:.1f}",
        deep_params=f"{deep['parameters (computed)']:,}", deepest_error=deepest["test error (paper, %)"],
        deep_error=deep["test error (paper, %)"]))
    st.caption(_("Parameters computed by building each net on the `meta` device with the paper's CIFAR design "
                 "(3x3 stem, three stages of 16/32/64 channels, parameter-free option A shortcuts), as in the "
                 "plain-vs-residual mini-training. Errors: He et al. 2016, Table 6 (110 layers: best of 5 runs)."))

"""Compare architectures: the notes' summary tables computed live, the notes' numbers checked, ILSVRC by year,
accuracy against cost, and the training recipes side by side."""

from ui.first_visit import through_app

through_app()

from collections import Counter

import pandas as pd
import streamlit as st

from cnnviz.format import latex_text
from cnnviz.i18n import N_, _, current
from cnnviz.lectures.comparison import COLUMNS
from cnnviz.lectures.course_notes import quoted
from cnnviz.lectures.ilsvrc import HUMAN_SOURCE, POINT_COLUMNS, RESULTS, accuracy_figure, ilsvrc_figure
from cnnviz.lectures.notes_tables import STRUCTURE
from cnnviz.lectures.quiz import float32_bytes
from cnnviz.lectures.recipes import LABELS as RECIPE_LABELS
from cnnviz.lectures.recipes import RECIPES, recipe_table
from cnnviz.zoo.registry import architectures
from ui import cached, linked_tabs, presenter, url_state

NUMBER = st.column_config.NumberColumn(format="localized")
FLAG_COLOUR = "background-color: rgba(255, 75, 75, 0.15)"
RECIPES_SHOWN = ["alexnet", "vgg16", "googlenet", "resnet50", "densenet121"]  # the recipes tab's first choice
# The ILSVRC table's columns, as shown.
RESULT_COLUMNS = {"year": N_("year"), "place": N_("place"), "team": N_("team"), "method": N_("method"),
                  "top-5 error (%)": N_("top-5 error (%)"), "source": N_("source")}


def headers(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The frame with its columns named in the session's language (``names``: column id -> msgid)."""
    return frame.rename(columns={key: _(name) for key, name in names.items() if key in frame.columns})


def text(message: str) -> str:
    """A text of the data in the session's language; "" stays "" (gettext would give the catalog's header)."""
    return _(message) if message else message


st.title(_("Compare architectures"))
# The slides' own title, quoted as printed with a translation beside it for a reader of another language.
notes_title = quoted(STRUCTURE.title, STRUCTURE.english)
st.write(_("The summary tables of the lecture notes (“{title}”), computed from the live models: every count below "
           "comes from tracing the model, and every number the notes print in those tables is checked.").format(
    title=notes_title))

TABS = {"summary": N_("Summary table"), "notes": N_("The notes' numbers vs ours"), "ilsvrc": N_("ILSVRC by year"),
        "accuracy": N_("Accuracy vs MACs"), "recipes": N_("Training recipes")}


def summary_section() -> None:
    with st.spinner(_("Tracing every architecture…")):
        table = pd.DataFrame(cached.compare_summary_table(current()))
    with presenter.folded(N_("The summary table")):
        st.dataframe(headers(table.drop(columns=["model"]), COLUMNS), hide_index=True, width="stretch", height=560,
                     column_config={_(COLUMNS["parameters"]): NUMBER, _(COLUMNS["MACs"]): NUMBER,
                                    _(COLUMNS["training-only parameters"]): NUMBER,
                                    "MiB": st.column_config.NumberColumn(format="%.1f")})
    st.caption(_("Default variant of every architecture, plus VGG-19 and ResNet-18/34 as in the notes. "
                 "**Single path**: no layer joins several tensors and no tensor feeds several layers. "
                 "**Depth**: convolution and FC layers on the longest path. A convolution whose kernel covers its "
                 "whole input (LeNet's C5) counts as FC, as in the notes' TABLE II. **Channels**: input channels one "
                 "filter sees (in / groups). MACs: one image, convolutions and linear layers, auxiliary heads "
                 "excluded; their parameters are in the last column."))
    each = float32_bytes()
    st.latex(latex_text(_("size (MiB)")) + r" = \frac{" + latex_text(_("parameters")) + rf" \times {each}\ "
             + latex_text(_("bytes (float32)")) + r"}{2^{20}\ " + latex_text(_("bytes")) + r"}\qquad "
             + latex_text(_("depth")) + r" = \max_{" + latex_text(_("paths")) + r"} \#\{"
             + latex_text(_("convolution and FC layers on the path")) + r"\}")


def notes_section() -> None:
    with st.spinner(_("Checking the notes' tables against the models…")):
        verdicts = pd.DataFrame(cached.compare_notes_verdicts(current()))
    flagged = verdicts[verdicts["flagged"]]
    a, b, c = st.columns(3)
    a.metric(_("Cells checked"), len(verdicts))
    b.metric(_("Our default model gives the notes' number"), int((~verdicts["flagged"]).sum()))
    c.metric(_("Flagged"), len(flagged),
             help=_("{count} of them match another version of the model (the paper's, with auxiliary heads...)").format(
                 count=int(flagged["another model"].sum())))
    st.caption(_("A number matches when our computation, rounded or cut to the digits the notes wrote, reads the "
                 "same. Flagged rows are highlighted; the explanation says which model the number belongs to, "
                 "where one does."))
    only_flagged = st.toggle(_("Flagged cells only"), key=url_state.flag("flagged", "compare_notes_flagged_only"))
    shown = flagged if only_flagged else verdicts
    styled = headers(shown.drop(columns=["flagged", "another model", "all readings"]), COLUMNS).style.apply(
        lambda row: [FLAG_COLOUR if shown.loc[row.name, "flagged"] else ""] * len(row), axis=1)
    with presenter.folded(N_("Every cell checked")):
        st.dataframe(styled, hide_index=True, width="stretch", height=480)
    st.header(_("What the notes' tables got wrong"))
    for title in dict.fromkeys(flagged["table"]):
        st.markdown(f"**{title}**")
        rows = flagged[flagged["table"] == title].to_dict("records")
        st.markdown("\n".join("- " + _("**{column} · {row}**: notes {notes}, ours {ours}. {explanation}").format(
            column=r["column"], row=r["row"], notes=r["notes"], ours=r["ours"], explanation=r["explanation"])
            for r in rows))
    with st.expander(_("Every reading of every cell")):
        st.dataframe(headers(verdicts[["table", "column", "row", "notes", "all readings"]], COLUMNS),
                     hide_index=True, width="stretch")


def ilsvrc_section() -> None:
    st.plotly_chart(ilsvrc_figure(cached.compare_winner_depths()), width="stretch", key="compare_ilsvrc")
    st.caption(_("Bars: classification winners; diamonds: runners-up. Layers are computed from our models of "
                 "the entries. Human line: {source}.").format(source=_(HUMAN_SOURCE)))
    with presenter.folded(N_("The results, year by year")):
        results = pd.DataFrame([{"year": e.year, "place": e.place, "team": e.team, "method": text(e.method),
                                 "top-5 error (%)": e.top5_error, "source": e.source} for e in RESULTS])
        st.dataframe(headers(results, RESULT_COLUMNS), hide_index=True, width="stretch")


def accuracy_section() -> None:
    with st.spinner(_("Tracing the torchvision classifiers…")):
        points = cached.compare_accuracy_points()
    st.plotly_chart(accuracy_figure(points), width="stretch", key="compare_accuracy")
    st.caption(_("The notes' “Comparing complexity” figure, rebuilt: x is our computed MACs per image, y is the "
                 "top-1 accuracy torchvision publishes for its first ImageNet weights, and a bubble's area is "
                 "proportional to our computed parameter count."))
    sizes = Counter(p["input"] for p in points)
    usual = sizes.most_common(1)[0][0]
    st.caption(" ".join([_("Each model is counted at its own input size: {size}x{size} unless listed here.").format(
        size=usual)] + [_("{model} runs at {size}x{size}.").format(model=p["model"], size=p["input"])
                        for p in points if p["input"] != usual]))
    with presenter.folded(N_("Every model's numbers")):
        numbers = pd.DataFrame(points).drop(columns=["weights"])
        numbers["architecture"] = numbers["architecture"].map(_)
        st.dataframe(headers(numbers, POINT_COLUMNS), hide_index=True, width="stretch",
                     column_config={_(POINT_COLUMNS["parameters"]): NUMBER,
                                    "GMACs": st.column_config.NumberColumn(format="%.3f")})


def recipes_section() -> None:
    titles = {key: arch.title for key, arch in architectures().items() if key in RECIPES}
    keys = list(titles)
    chosen = st.multiselect(_("Architectures"), keys, format_func=lambda key: _(titles[key]),
                            key=url_state.several("recipes", "compare_recipes", keys, RECIPES_SHOWN))
    if not chosen:
        st.info(_("Pick at least one architecture."))
    else:
        recipes = pd.DataFrame(recipe_table(chosen)).set_index("")
        notes_row = RECIPE_LABELS["notes_disagree"]
        recipes = recipes.drop(index=[row for row in recipes.index if row in (notes_row, _(notes_row))])
        recipes = recipes.map(text).rename(index=text, columns=text).rename_axis(_("what"))
        with presenter.folded(N_("The recipes")):
            st.table(recipes)
        st.caption(_("From the papers, section by section; “not stated” where the paper does not say."))
        for key in chosen:
            if RECIPES[key].notes_disagree:
                st.warning(f"**{_(titles[key])}**: {_(RECIPES[key].notes_disagree)}", icon=":material/error:")


# Only the open tab runs (its id is in the link, ?tab=notes): each one traces or checks many models.
linked_tabs.open_tab("compare_tab", TABS, {"summary": summary_section, "notes": notes_section,
                                           "ilsvrc": ilsvrc_section, "accuracy": accuracy_section,
                                           "recipes": recipes_section})

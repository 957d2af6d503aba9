"""Compare architectures: the notes' summary tables computed live, the notes' numbers checked, ILSVRC by year,
accuracy against cost, and the training recipes side by side."""

from ui.first_visit import through_app

through_app()

from collections import Counter

import pandas as pd
import streamlit as st

from cnnviz.lectures.ilsvrc import HUMAN_SOURCE, RESULTS, accuracy_figure, ilsvrc_figure
from cnnviz.lectures.recipes import RECIPES, recipe_table
from cnnviz.zoo.registry import architectures
from ui import cached, presenter, url_state

NUMBER = st.column_config.NumberColumn(format="localized")
FLAG_COLOUR = "background-color: rgba(255, 75, 75, 0.15)"
RECIPES_SHOWN = ["alexnet", "vgg16", "googlenet", "resnet50", "densenet121"]  # the recipes tab's first choice


st.title("Compare architectures")
st.write("The summary tables of the lecture notes (“CNN 架构总结”), computed from the live models: every count "
         "below comes from tracing the model, and every number the notes print in those tables is checked.")

summary_tab, notes_tab, ilsvrc_tab, accuracy_tab, recipes_tab = st.tabs(
    ["Summary table", "The notes' numbers vs ours", "ILSVRC by year", "Accuracy vs MACs", "Training recipes"])

with summary_tab:
    table = pd.DataFrame(cached.compare_summary_table())
    with presenter.folded("The summary table"):
        st.dataframe(table.drop(columns=["model"]), hide_index=True, width="stretch", height=560,
                     column_config={"parameters": NUMBER, "MACs": NUMBER, "training-only parameters": NUMBER,
                                    "MiB": st.column_config.NumberColumn(format="%.1f")})
    st.caption("Default variant of every architecture, plus VGG-19 and ResNet-18/34 as in the notes. "
               "**Single path**: no layer joins several tensors and no tensor feeds several layers. "
               "**Depth**: convolution and FC layers on the longest path. A convolution whose kernel covers its "
               "whole input (LeNet's C5) counts as FC, as in the notes' TABLE II. **Channels**: input channels one "
               "filter sees (in / groups). MACs: one image, convolutions and linear layers, auxiliary heads "
               "excluded; their parameters are in the last column.")
    st.latex(r"\text{size (MiB)} = \frac{\text{parameters} \times 4\ \text{bytes (float32)}}{2^{20}\ \text{bytes}}"
             r"\qquad \text{depth} = \max_{\text{paths}} \#\{\text{conv, FC layers on the path}\}")

with notes_tab:
    verdicts = pd.DataFrame(cached.compare_notes_verdicts())
    flagged = verdicts[verdicts["flagged"]]
    a, b, c = st.columns(3)
    a.metric("Cells checked", len(verdicts))
    b.metric("Our default model gives the notes' number", int((~verdicts["flagged"]).sum()))
    c.metric("Flagged", len(flagged), help=f"{int((flagged['verdict'] == 'another model').sum())} of them match "
             "another version of the model (the paper's, with auxiliary heads...)")
    st.caption("A number matches when our computation, rounded or cut to the digits the notes wrote, reads the "
               "same. Flagged rows are highlighted; the explanation says which model the number belongs to, "
               "where one does.")
    only_flagged = st.toggle("Flagged cells only", key=url_state.flag("flagged", "compare_notes_flagged_only"))
    shown = flagged if only_flagged else verdicts
    styled = shown.drop(columns=["flagged", "all readings"]).style.apply(
        lambda row: [FLAG_COLOUR if shown.loc[row.name, "flagged"] else ""] * len(row), axis=1)
    with presenter.folded("Every cell checked"):
        st.dataframe(styled, hide_index=True, width="stretch", height=480)
    st.subheader("What the notes' tables got wrong")
    for title in dict.fromkeys(flagged["table"]):
        st.markdown(f"**{title}**")
        rows = flagged[flagged["table"] == title].to_dict("records")
        st.markdown("\n".join(f"- **{r['column']} · {r['row']}**: notes {r['notes']}, ours {r['ours']}. "
                              f"{r['explanation']}" for r in rows))
    with st.expander("Every reading of every cell"):
        st.dataframe(verdicts[["table", "column", "row", "notes", "all readings"]], hide_index=True, width="stretch")

with ilsvrc_tab:
    st.plotly_chart(ilsvrc_figure(cached.compare_winner_depths()), width="stretch", key="compare_ilsvrc")
    st.caption(f"Bars: classification winners; diamonds: runners-up. Layers are computed from our models of "
               f"the entries. Human line: {HUMAN_SOURCE}.")
    with presenter.folded("The results, year by year"):
        st.dataframe(pd.DataFrame([{"year": e.year, "place": e.place, "team": e.team, "method": e.method,
                                    "top-5 error (%)": e.top5_error, "source": e.source} for e in RESULTS]),
                     hide_index=True, width="stretch")

with accuracy_tab:
    points = cached.compare_accuracy_points()
    st.plotly_chart(accuracy_figure(points), width="stretch", key="compare_accuracy")
    st.caption("The notes' “comparing complexity” figure, rebuilt: x is our computed MACs per image, y is the "
               "top-1 accuracy torchvision publishes for its first ImageNet weights, and a bubble's area is "
               "proportional to our computed parameter count.")
    sizes = Counter(p["input"] for p in points)
    usual = sizes.most_common(1)[0][0]
    st.caption(f"Each model is counted at its own input size: {usual}x{usual} unless listed here. "
               + " ".join(f"{p['model']} runs at {p['input']}x{p['input']}." for p in points if p["input"] != usual))
    with presenter.folded("Every model's numbers"):
        st.dataframe(pd.DataFrame(points).drop(columns=["weights"]), hide_index=True, width="stretch",
                     column_config={"parameters": NUMBER, "GMACs": st.column_config.NumberColumn(format="%.3f")})

with recipes_tab:
    titles = {key: arch.title for key, arch in architectures().items() if key in RECIPES}
    keys = list(titles)
    chosen = st.multiselect("Architectures", keys, format_func=titles.get,
                            key=url_state.several("recipes", "compare_recipes", keys, RECIPES_SHOWN))
    if not chosen:
        st.info("Pick at least one architecture.")
    else:
        recipes = pd.DataFrame(recipe_table(chosen)).set_index("")
        with presenter.folded("The recipes"):
            st.table(recipes.drop(index="the notes say"))
        st.caption("From the papers, section by section; “not stated” where the paper does not say.")
        for key in chosen:
            if RECIPES[key].notes_disagree:
                st.warning(f"**{titles[key]}**: {RECIPES[key].notes_disagree}", icon=":material/error:")

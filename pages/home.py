"""Start page: what is here, with one line and a link per page."""

from ui.first_visit import through_app

through_app()

import streamlit as st

from cnnviz.i18n import _
from cnnviz.zoo.registry import architectures
from ui import folds
from ui.catalog import START, page_groups

# A page link's label is one line, clipped; here each has a second line, which wraps. st.html, not a markdown with
# unsafe_allow_html: that would have a new visitor's browser fetch 190 KB more (rehype-raw) instead of 31 KB.
LINK_STYLE = """<style>
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] { align-items: baseline; }
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] > span:last-child,
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] [data-testid="stMarkdownContainer"] p { white-space: normal; }
</style>"""

st.title(_("cnnviz — classic CNN architectures, live"))
variants = sum(len(a.variants) for a in architectures().values())
st.write(_("Every model here is a live PyTorch model: {architectures} architectures in {variants} variants. "
           "Each page traces its model on PyTorch's `meta` device (no weights are allocated), so every shape, "
           "parameter count and multiply-accumulate on screen is computed, not copied from a paper.").format(
    architectures=len(architectures()), variants=variants))
st.html(LINK_STYLE)  # style only: no element on the page


def ilsvrc_chart() -> None:
    from cnnviz.lectures.ilsvrc import ilsvrc_figure

    st.plotly_chart(ilsvrc_figure(), width="stretch", key="home_ilsvrc")
    st.caption(_("Top-5 classification error on the ILSVRC test set. The compare page adds each network's "
                 "computed depth, parameters and MACs."))


# Folded: the chart's scripts would double what a new visitor's browser loads before the page settles.
folds.fold(_("Why these architectures: ImageNet (ILSVRC) winners by year"), "ilsvrc", "home_ilsvrc_open",
           ilsvrc_chart)
for group, entries in page_groups().items():
    if entries is START:
        continue
    st.header(_(group))
    for entry in entries:  # the line under the title is part of the link: one element per page instead of two
        line = _(entry.line).replace("[", r"\[").replace("]", r"\]")  # inside :gray[...]
        st.page_link(entry.path, label=f"{_(entry.title)}  \n:gray[{line}]", icon=entry.icon)

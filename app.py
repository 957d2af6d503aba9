"""cnnviz: the entry point. Navigation groups: Start, Architectures, Concept labs, Image lab."""

import importlib

import streamlit as st

from cnnviz.i18n import _
from cnnviz.warmup import started as warmup_started
from ui import accessibility, language, narrow, presenter, scroll, share, streamlit_text
from ui.catalog import HOME, page_groups
from ui.first_visit import home_by_its_file_name, skip_direct_run_check

# plotly reads sys.modules["pandas"]: a pandas half-imported by another thread (the warm-up) breaks its charts, so
# every run waits here until pandas is whole. The server's first run comes before the warm-up and skips the wait
# (and the import: a second off the first page).
if warmup_started():
    importlib.import_module("pandas")
else:  # the server's first run
    skip_direct_run_check()
language.choose()
presenting = presenter.bind()
st.set_page_config(page_title="cnnviz", page_icon=":material/neurology:", layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")
# Every style of this run in one element: with one element each, presenter mode's large type was missing in some
# browser runs. Its script sets the document's language (ui.accessibility).
st.html(language.style() + presenter.style() + streamlit_text.style() + narrow.style() + scroll.style()
        + accessibility.markup(), unsafe_allow_javascript=True)
home_by_its_file_name(HOME)
navigation = {_(group): [st.Page(e.path, title=_(e.title), url_path=e.url_path, icon=e.icon,
                                 default=e.url_path == HOME)
                         for e in entries]
              for group, entries in page_groups().items()}
page = st.navigation(navigation, expanded=True)  # every page listed, though the sidebar has more below
language.switch(st.sidebar)
presenter.toggle(st.sidebar)
share.button(st.sidebar, key="share_sidebar")
if presenting:
    presenter.top_bar()
page.run()

from ui import warmup  # noqa: E402  (after the page: it must not delay it)

warmup.start()

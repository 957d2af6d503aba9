"""What screen readers, keyboards and weaker eyes need beyond Streamlit's defaults, drawn inside the one element
app.py draws every run: the document's language, formulas that scroll reachable by the keyboard, captions at AA
contrast.

That element holds a script, so Streamlit places it in the page instead of its zero-height style container: its
own container is hidden, and the page keeps its layout."""

from __future__ import annotations

from cnnviz import i18n

# BCP 47 tags: screen readers choose their voice, and the browser its Han glyphs, by the document's language.
DOCUMENT_LANGUAGES = {"en": "en", "zh": "zh-Hans", "ko": "ko"}
MARK = "cnnviz-document"  # the script's id, by which the element's container is found and hidden

# Captions: Streamlit draws them at 60% opacity, 3.9:1 against white; 85% gives 7.8:1 for text (AA asks 4.5:1)
# and 5.2:1 for a link in a caption. A formula wider than its column scrolls sideways: it takes the keyboard's
# focus (the script gives it a tabindex) and shows it. Headings go h1, h2, h3 without a gap; a tab's own heading
# (a walk's step) is an h2 in the size of Streamlit's h4, as it was drawn before.
_STYLE = f"""<style>
[data-testid="stElementContainer"]:has(#{MARK}) {{ display: none; }}
[data-testid="stCaptionContainer"] {{ opacity: 0.85; }}
.katex-display:focus-visible {{ outline: 2px solid currentColor; outline-offset: 2px; }}
[data-testid="stTabs"] [data-testid="stMarkdownContainer"] h2 {{ font-size: 1.5rem; padding-top: 0.5rem; }}
</style>"""

# Idempotent: a new page or a rerun with the same language changes nothing; the observer is installed once per
# browser tab and gives every formula drawn later a tabindex.
_SCRIPT = """<script id="%(mark)s">
document.documentElement.lang = "%(lang)s";
if (!window.cnnvizFormulasReachable) {
  window.cnnvizFormulasReachable = true;
  const reachable = () => document.querySelectorAll(".katex-display:not([tabindex])")
    .forEach(formula => { formula.tabIndex = 0; });
  new MutationObserver(reachable).observe(document.body, {childList: true, subtree: true});
  reachable();
}
</script>"""


def markup() -> str:
    """The styles and the script for the session's language (app.py draws them with every run's styles)."""
    return _STYLE + _SCRIPT % {"mark": MARK, "lang": DOCUMENT_LANGUAGES[i18n.current()]}

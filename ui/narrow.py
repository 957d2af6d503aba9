"""A page on a phone (390 px wide, where students open the class's QR link): what is wider than the screen scrolls in
its own box, so the page itself never scrolls sideways.

Measured at 390x844 before this style: every architecture page was 16 to 65 px wider than the screen (the walk's
arithmetic table), and the key-idea formulas were cut off at the right (Streamlit's markdown box hides overflow)."""

from __future__ import annotations

# Display formulas (KaTeX) and markdown tables become their own horizontal scroll boxes. ``position: relative`` keeps
# KaTeX's hidden MathML copy (absolutely placed) inside the formula's box instead of widening the page. On a touch
# screen plotly shows its mode bar all the time, over a small chart's title and colour scale: hidden on phones.
_STYLE = """<style>
[data-testid="stMarkdownContainer"] .katex-display { overflow-x: auto; overflow-y: hidden; position: relative; }
[data-testid="stMarkdownContainer"] table { display: block; overflow-x: auto; max-width: 100%; }
@media (max-width: 640px) { .js-plotly-plot .modebar-container { display: none; } }
</style>"""


def style() -> str:
    """The CSS (app.py draws every run's styles in one element)."""
    return _STYLE

"""Every text a student reads on a page that AppTest rendered: headings, markdown, captions, notices, formulas,
widget labels, options and help, tab and expander labels, metrics, tables' headers and cells, chart titles, legends
and axis titles (plotly's figure JSON), the text inside the app's SVG pictures and graphs, code comments, alt texts.

Each text comes with where it was shown (``"tab 层表 > dataframe"``), for a failure message a reader can find."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

# Element types whose ``value`` is the shown text (markdown: a heading, a paragraph, an alert).
_TEXT = {"title", "header", "subheader", "markdown", "caption", "latex", "info", "warning", "error", "success",
         "text", "toast"}
# Fields of a widget or element proto that hold shown text (help is the tooltip behind the "?" icon).
_FIELDS = ("label", "help", "placeholder", "caption", "alt")
_SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)
_TAG = re.compile(r"<[^>]+>")
_DOT_LABEL = re.compile(r'\b(?:label|xlabel|tooltip)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|<(.*?)>\s*[,\]])', re.S)


def shown_texts(app) -> Iterator[tuple[str, str]]:
    """(where, text) for every text of ``app`` (main area and sidebar)."""
    yield from _node(app._tree, "")


def _node(node, where: str, heading: str = "") -> Iterator[tuple[str, str]]:
    kind = getattr(node, "type", "")
    label = getattr(node, "label", None) if kind in ("tab", "expander", "status") else None
    if isinstance(label, str) and label:
        yield f"{where}{kind}", label
        where, heading = f"{where}{kind} {label} > ", label
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _node(child, where, heading)
        return
    yield from ((f"{where}{kind}", text) for text in _element(node, kind, heading) if text and text.strip())


def _element(element, kind: str, heading: str) -> Iterator[str]:
    if kind in _TEXT:
        yield element.value
    for name in _FIELDS:
        value = _field(element, name)
        if isinstance(value, str):
            yield value
    if kind == "metric":
        yield element.value
    if kind in ("selectbox", "radio", "multiselect", "select_slider", "button_group"):
        yield from map(str, element.options)
    if kind in ("dataframe", "table"):
        frame = element.value
        yield from map(str, frame.columns)
        for column in frame.columns:
            yield from (cell for cell in frame[column] if isinstance(cell, str))
    if kind == "image":
        for image in element.proto.imgs:
            yield image.caption
            yield from svg_texts(image.url)
    if kind == "plotly_chart":
        yield from figure_texts(json.loads(element.proto.spec))
    if kind == "graphviz_chart":
        yield from dot_labels(element.proto.spec)
    if kind == "code" and not quoted_source(element.value, heading):
        yield from code_comments(element.value, element.proto.language)


def _field(element, name: str):
    try:
        return getattr(element, name)
    except (AttributeError, ValueError):
        return None


def svg_texts(url: str) -> Iterator[str]:
    """The words an SVG picture given as a data URL draws (its ``<text>`` elements)."""
    if not url.startswith("data:image/svg+xml"):
        return
    head, _, data = url.partition(",")
    svg = base64.b64decode(data).decode() if head.endswith(";base64") else data
    for text in _SVG_TEXT.findall(svg):
        yield _TAG.sub("", text)


def figure_texts(figure: dict) -> Iterator[str]:
    """A plotly figure's titles (of the figure, the axes, the legend and colour bars), trace names (the legend),
    annotations, tick labels given as text, and hover templates without their placeholders."""
    layout = figure.get("layout", {})
    for key, value in layout.items():
        if key == "title" or key.startswith(("xaxis", "yaxis", "legend", "coloraxis", "scene")):
            yield from _titles(value)
        if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict):
            yield from map(str, value.get("ticktext", ()))
    for note in layout.get("annotations", ()):
        yield note.get("text", "")
    for trace in figure.get("data", ()):
        if trace.get("showlegend", True) is not False or trace.get("legendgroup"):
            yield trace.get("name", "")
        yield from _titles(trace.get("colorbar", {}))
        yield re.sub(r"%\{[^}]*\}|<extra>.*?</extra>", " ", str(trace.get("hovertemplate", "")))


def _titles(value) -> Iterator[str]:
    if isinstance(value, dict):
        title = value.get("title")
        if isinstance(title, dict):
            yield title.get("text", "")
        elif isinstance(title, str):
            yield title
        if isinstance(value.get("text"), str):  # a title given as {"text": ...}
            yield value["text"]


def dot_labels(dot: str) -> Iterator[str]:
    """The labels a graphviz (DOT) graph draws; an HTML-like label without its tags."""
    for quoted, html in _DOT_LABEL.findall(dot):
        yield _TAG.sub(" ", html) if html else quoted.replace("\\n", " ").replace('\\"', '"')


def quoted_source(code: str, heading: str) -> bool:
    """Code shown as it is written in a module (a builder's source under an expander titled with its qualified
    name, ``torchvision.models.resnet.ResNet``): its comments are the module's, not the app's."""
    import importlib
    import inspect

    parts = heading.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # the module by import, not by attribute: torchvision.models.googlenet
        try:  # is also a function of that name
            found = importlib.import_module(".".join(parts[:cut]))
            for name in parts[cut:]:
                found = getattr(found, name)
            return inspect.getsource(found).strip() == code.strip()
        except (ImportError, AttributeError, TypeError, OSError):
            continue
    return False


def code_comments(code: str, language: str) -> Iterator[str]:
    """The comments of the Python code or shell commands a page writes for the student."""
    if language == "python":
        import io
        import tokenize

        try:
            for token in tokenize.generate_tokens(io.StringIO(code).readline):
                if token.type == tokenize.COMMENT:
                    yield token.string.lstrip("#").strip()
        except (tokenize.TokenError, SyntaxError):
            pass
    elif language in ("bash", "shell", "sh"):
        yield from (line.split("#", 1)[1] for line in code.splitlines() if "#" in line)

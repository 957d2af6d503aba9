"""A layer graph in words, for readers who cannot see the drawing: each node's caption (its layer, kind, parameters
and MACs) and where its input comes from, with the shape that flows along each edge.

Read from the DOT source that ``cnnviz.analysis.graph`` writes (the python graphviz package's output: one node or
edge statement to a line, names and captions quoted where needed), so that the words say what the drawing shows.
"""

from __future__ import annotations

import re

from cnnviz.analysis.graph import ELSEWHERE, HIGHLIGHT
from cnnviz.i18n import _

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|->|[\[\]=;{},]|[^\s\[\]=;{},"]+')
_DEFAULTS = {"graph", "node", "edge"}


def _value(token: str) -> str:
    """A name or caption as written: DOT's quoted strings escape only their quotes."""
    return token[1:-1].replace('\\"', '"') if token.startswith('"') else token


def _statements(source: str):
    """(names, attributes) for each node statement (one name) and edge statement (two), in the source's order."""
    tokens = _TOKEN.findall(source)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in {"{", "}", ";", "strict"}:
            index += 1
            continue
        if token in {"digraph", "subgraph"}:  # and the graph's name, if it has one
            index += 1 if tokens[index + 1] == "{" else 2
            continue
        names = [_value(token)]
        index += 1
        while index < len(tokens) and tokens[index] == "->":
            names.append(_value(tokens[index + 1]))
            index += 2
        attributes: dict[str, str] = {}
        if index < len(tokens) and tokens[index] == "[":
            index += 1
            while tokens[index] != "]":
                if tokens[index + 1] == "=":
                    attributes[_value(tokens[index])] = _value(tokens[index + 2])
                    index += 3
                else:
                    index += 1
            index += 1
        if index < len(tokens) and tokens[index] == "=":  # a graph attribute (label=...) inside a subgraph
            index += 2
            continue
        if names[0] not in _DEFAULTS or len(names) > 1:
            yield names, attributes


def _title(captions: dict[str, str], name: str) -> str:
    """A node's first caption line (its layer's name), as the drawing writes it."""
    return (captions.get(name) or name).splitlines()[0]


def describe(source: str) -> str:
    """The graph in one paragraph, node by node: "input, 3x224x224 · features.0, Conv2d 11x11/4, …, from input
    (3x224x224) · …"; the step a walk marks says so."""
    captions: dict[str, str] = {}
    marked: set[str] = set()
    inputs: dict[str, list[tuple[str, str]]] = {}
    for names, attributes in _statements(source):
        if len(names) == 1:
            caption = attributes.get("label", names[0])
            captions[names[0]] = _("layers not shown") if caption == ELSEWHERE else caption
            if attributes.get("fillcolor") == HIGHLIGHT["fillcolor"]:
                marked.add(names[0])
        else:
            for source_name, target in zip(names, names[1:]):
                inputs.setdefault(target, []).append((source_name, attributes.get("label", "").strip()))
    parts = []
    for name, caption in captions.items():
        text = ", ".join(line for line in caption.splitlines() if line.strip())
        if name in marked:
            text = _("{layer} (the step shown)").format(layer=text)
        if name in inputs:
            sources = "; ".join(f"{_title(captions, s)} ({shape})" if shape else _title(captions, s)
                                for s, shape in inputs[name])
            text = _("{layer}, from {inputs}").format(layer=text, inputs=sources)
        parts.append(text)
    return _("Layer graph: {layers}.").format(layers=" · ".join(parts))

"""Text from outside the app (a link's value, an uploaded file's name, what the file holds) shown literally in
Streamlit's markdown: in an error box it must not become a link, an image, an icon or a coloured word.

Markdown syntax is undone by backslash escapes, but Streamlit also rewrites the parsed text itself, where escapes are
already gone: ``:material_x:`` becomes an icon, ``:smile:`` an emoji, ``:streamlit:`` its logo, ``http://…``,
``www.…`` and ``a@b.c`` links, and `` -> `` an arrow (its frontend replaces ``:material/`` with ``:material_``
in the source before parsing). Those sequences are broken with an invisible word joiner instead.
"""

from __future__ import annotations

import re

# Written here: markdown escapers (and Streamlit, which has none) know nothing of Streamlit's rewrites of plain text.
_JOINER = "\u2060"  # WORD JOINER: zero width, and no line break where it stands, so the text wraps as before
# Where a joiner goes: after a colon or an at sign that something follows (``:name`` directives, ``:emoji:``,
# icons, ``https://``, e-mail addresses), in ``www.``, and inside ``->``, ``<-``, ``--``, ``<=``, ``>=``, ``~=``.
_REWRITTEN = re.compile(r"(?<=[:@])(?=\S)|(?<=[wW]{3})(?=\.)|(?<=[-<>~])(?=[->=])")
# What a backslash goes before: what opens markdown anywhere in a line (code, emphasis, links and images,
# HTML and autolinks, headings, tables, math, strikethrough, directives' attributes), an underscore that is not
# inside a word, an entity reference, and a list marker at the start. Other text is left as it is.
_SYNTAX = re.compile(r"[\\`*\[\]<>#|$~!{}_]|&(?=#?\w+;)|^\s*(?:[-+]|\d+[.)])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a line break could start a heading or a list: one line, always


def plain(text: str) -> str:
    """``text`` as markdown that shows exactly ``text`` (on one line), changed only where markdown would act."""
    return _SYNTAX.sub(_escaped, _REWRITTEN.sub(_JOINER, _CONTROL.sub(" ", str(text))))


def _escaped(match: re.Match) -> str:
    found, text, at = match.group(), match.string, match.start()
    if found == "_" and 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum():
        return found  # inside a word an underscore neither opens nor closes emphasis: snake_case stays as it is
    return found[:-1] + "\\" + found[-1]


def code(text: str) -> str:
    """``text`` as a markdown code span that it cannot close: fenced by more backticks than its longest run (inside
    a code span a backslash escapes nothing)."""
    text = _CONTROL.sub(" ", str(text)).replace(":material/", f":{_JOINER}material/")
    if not text:
        return ""
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    # One space each side is dropped by the parser: it keeps a leading or trailing backtick off the fence.
    pad = " " if (text[0] in "` " or text[-1] in "` ") and text.strip(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"

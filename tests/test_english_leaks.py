"""No English where a Chinese or Korean student reads: every page, every tab and every folded section in zh and ko,
every text on them (``tests.shown_text``), checked word by word (``tests.english_words``).

What may stay in English is derived from the app's own data where it can be: the registry's model names, authors,
papers and every layer name and class of its models, the operations the layer graph draws, timm's model names,
ImageNet's class names (the networks' own outputs), the ILSVRC table's teams and citations, the required packages'
names, and the lecture notes, quoted verbatim beside a translation. ``tests.english_words`` holds the short list of
the rest (people, units). Each failure lists every text with English on that page and language, and where it is."""

from __future__ import annotations

import functools
import re

import pytest

from cnnviz import i18n
from tests.conftest import ROOT, open_link, open_tab, page_param
from tests.english_words import Checker, written_share
from tests.shown_text import shown_texts
from ui.catalog import page_groups

READ_AS_PROSE = {"title", "header", "subheader", "markdown", "caption"}
LANGUAGES = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT]
PAGES = [entry.url_path for entries in page_groups().values() for entry in entries]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", text))


@functools.cache
def _marked() -> set[str]:
    """Every text the code marks for translation (the template the catalogs are made from)."""
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot").open("rb") as source:
        return {message.id for message in read_po(source) if isinstance(message.id, str)}


@functools.cache
def checker() -> Checker:
    import timm

    from cnnviz.analysis.summary import summary_of
    from cnnviz.analysis.tracing import JOIN_OPS
    from cnnviz.imagelab.pretrained import imagenet_categories
    from cnnviz.lectures.ilsvrc import RESULTS
    from cnnviz.zoo.registry import architectures

    names: set[str] = set()
    papers = set()
    for arch in architectures().values():
        if arch.title not in _marked():  # a model's name; a descriptive title is translated
            names |= _words(arch.title)
        names |= _words(re.sub(r"\([^)]*\)", "", arch.authors))  # names, not the words in parentheses
        papers.add(arch.paper)
        names |= {variant.name for variant in arch.variants}
        summary = summary_of(arch.default.name)  # traced once per process: the pages traced it already
        names |= {cls.__name__ for cls in summary.module_classes}
        for row in summary.layers:
            names |= set(re.split(r"[._]", f"{row.name}.{row.block or ''}")) | {row.type}
    phrases = papers | set(imagenet_categories())  # what the networks answer: ImageNet's own labels
    phrases |= {part for entry in RESULTS for part in entry.source.split("; ")}  # citations, as written
    names |= {entry.team for entry in RESULTS}  # ILSVRC's team names
    names |= JOIN_OPS | set(timm.list_models()) | set(i18n.LANGUAGES.values())
    requirements = (ROOT / "requirements.txt").read_text()
    names |= set(re.findall(r"^([A-Za-z][\w.-]*)", requirements, re.M))
    return Checker(names, phrases)


def leaks(texts, label: str) -> dict[str, str]:
    """Each text with English words in it -> a line that says where it is shown and which words they are."""
    found = {}
    for where, text in texts:
        words = checker().english(text, formula=where.endswith("latex"))
        if words and text not in found:
            found[text] = f"[{label}] {where}: {', '.join(dict.fromkeys(words))} ← {text[:160]!r}"
    return found


def every_view(app):
    """The page as opened, then with its folded sections open, then each of its other tabs."""
    yield ""
    folds = [key for key in app.session_state.keys() if key.endswith("_open") and app.session_state[key] is False]
    if folds:
        for key in folds:
            app.session_state[key] = True
        app.run()
        yield "folds open"
    tab_keys = [key for key in app.session_state.keys() if f"{key}_language" in app.session_state]
    for key in tab_keys:
        for tab in app.tabs[1:]:
            open_tab(app, key, tab.label)
            assert not app.exception, (tab.label, app.exception)
            yield tab.label


@pytest.mark.slow
@pytest.mark.usefixtures("no_torchvision_weights")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", [page_param(page) for page in PAGES])
def test_no_english_on_the_page(page, language):
    i18n.use(language)  # AppTest formats the drawn choices' labels in this thread
    app = open_link(page, lang=language)
    # Mostly in the language, as opened (a page of formulas and names alone would pass the word check).
    first_view = [text for where, text in shown_texts(app) if where.rsplit("> ", 1)[-1] in READ_AS_PROSE]
    share = written_share(first_view, language)
    assert share > 0.5, f"/{page}?lang={language}: only {share:.0%} of the words are in the language"
    found: dict[str, str] = {}
    for view in every_view(app):
        found = leaks(shown_texts(app), f"{language} /{page} {view}".strip()) | found  # first view that shows it
    print("\n".join(found.values()))
    assert not found, f"{len(found)} texts with English words:\n" + "\n".join(found.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_in_the_navigation(language):
    """The sidebar lists every page by its title, under its group's name."""
    i18n.use(language)
    texts = [(f"sidebar group {group}", i18n._(group)) for group in page_groups()]
    texts += [(f"sidebar /{entry.url_path}", i18n._(entry.title))
              for entries in page_groups().values() for entry in entries]
    found = leaks(texts, language)
    assert not found, "\n".join(found.values())


def test_no_marked_text_inside_an_f_string():
    """Extraction does not look inside f-strings: a ``_("what")`` there never reaches the catalogs and is shown in
    English in every language (the key-idea table's header was)."""
    import ast

    found = []
    for path in [ROOT / "app.py", *ROOT.glob("cnnviz/**/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("pages/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                found += [f"{path.relative_to(ROOT)}:{call.lineno} {call.args[0].value!r}" for call in ast.walk(node)
                          if isinstance(call, ast.Call) and getattr(call.func, "id", None) in ("_", "N_", "ngettext")
                          and call.args and isinstance(call.args[0], ast.Constant)]
    assert found == [], found


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_streamlit_own_english_is_replaced(language):
    """Streamlit's uploader says "Limit 64MB per file" (its transport cap, not the app's limit, which the label
    states) and "Drag and drop file here"; an input says "Press Enter to apply". The page's style hides the limit
    line in every language and puts the app's words in place of the others where Streamlit speaks no other."""
    app = open_link("home", lang=language)
    i18n.use(language)
    style = " ".join(html.value for html in app.get("html") if "stFileUploaderDropzone" in html.value)
    assert '[data-testid="stFileUploaderDropzoneInstructions"] > * { display: none; }' in style
    assert f'content: "{i18n._("Drag and drop a file here")}"' in style
    foreign = language != i18n.DEFAULT
    assert (f'content: "{i18n._("Choose a file")}"' in style) == foreign
    assert ('[data-testid="InputInstructions"] { display: none; }' in style) == foreign
    i18n.use(i18n.DEFAULT)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_link_notice_names_the_tab_it_shows_in_the_language(language):
    """A link to a tab the page has not: the notice says which tab opens instead by its title ("改为显示 逐层讲解"),
    not by the link's id ("walk")."""
    i18n.use(language)
    app = open_link("alexnet", lang=language, tab="nonsense")
    (notice,) = [w.value for w in app.warning if "tab=nonsense" in w.value]
    assert i18n._("Layer walk") in notice and "walk" not in notice.replace("tab=nonsense", "")
    assert not leaks([("warning", notice)], language)
    i18n.use(i18n.DEFAULT)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_number_of_the_notes_is_said_in_one_message_with_its_unit(language):
    """"讲义给出 12 倍（更少）" glued a unit after a number; each number is now said whole, so that each language puts
    its words where they go: "参数少 12 倍", "파라미터 12배 적음"."""
    from cnnviz.lectures.notes_check import CLAIMS

    i18n.use(language)
    try:
        for claim in CLAIMS:
            assert claim.amount.count("{number}") == 1, claim.key
            said = i18n._(claim.amount).format(number="12")
            assert "12" in said, (claim.key, said)
            assert not leaks([("amount", said)], language), said
    finally:
        i18n.use(i18n.DEFAULT)

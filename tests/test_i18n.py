"""Languages: complete catalogs with the same placeholders, a language per session, and the switch in the app."""

import re
import subprocess
import sys
import threading

import pytest
from babel.messages.pofile import read_po

from cnnviz import i18n
from tests.conftest import ROOT, open_link

TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _catalog(language: str):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=language)


def _ids(catalog) -> set:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language):
    catalog = _catalog(language)
    assert len(_ids(catalog)) > 50
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: no translation of {ids[0]!r}"
        wanted = sorted(set(PLACEHOLDER.findall(ids[0])))
        for string in strings:
            assert sorted(set(PLACEHOLDER.findall(string))) == wanted, f"{language}: {ids[0]!r} -> {string!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_fuzzy_entries(language):
    """Babel leaves a fuzzy entry out when it compiles the catalog: the app would show the English text though the
    file holds a translation."""
    assert [message.id for message in _catalog(language) if message.id and message.fuzzy] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_obsolete_entries(language):
    """An obsolete (``#~``) entry is a text the code no longer has: a translator would keep it up for nothing."""
    assert list(_catalog(language).obsolete) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_app_shows_every_translation_the_catalog_holds(language):
    """Through the catalog the app compiles (``i18n.catalog``): each text comes back as the .po file translates it,
    plural forms at one and at many."""
    compiled, catalog = i18n.catalog(language), _catalog(language)
    shown = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for n in (1, 2):
                index = catalog.plural_func(n) if len(strings) > 1 else 0
                assert compiled.ngettext(*message.id, n) == strings[index], message.id
        else:
            assert compiled.gettext(message.id) == message.string, message.id
        shown += 1
    assert shown == len(_ids(catalog)) > 50


def test_the_catalogs_hold_every_text_the_code_marks(tmp_path):
    """``pybabel extract`` over the code now: a text marked with _() but missing from a catalog fails here."""
    template = tmp_path / "now.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg", "-k", "_",
                    "-k", "N_", "-k", "ngettext:1,2", "--no-location", "-o", str(template), "."],
                   cwd=ROOT, check=True)
    with template.open("rb") as source:
        marked = _ids(read_po(source))
    for language in TRANSLATED:
        assert marked - _ids(_catalog(language)) == set(), f"not in the {language} catalog (python -m cnnviz.i18n)"


def test_a_language_belongs_to_its_session_thread():
    """Two students on one server in two languages: each thread (Streamlit session run) keeps its own."""
    seen = {}
    ready = threading.Barrier(2)

    def student(language: str) -> None:
        i18n.use(language)
        ready.wait()  # both have chosen before either reads
        seen[language] = i18n._("Home")

    threads = [threading.Thread(target=student, args=(language,)) for language in TRANSLATED]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {language: _catalog(language)["Home"].string for language in TRANSLATED}
    assert len(set(seen.values())) == len(TRANSLATED)
    assert i18n._("Home") == "Home"  # this thread never chose: English


@pytest.mark.parametrize("locale, language", [("zh-CN", "zh"), ("zh_TW", "zh"), ("ko-KR", "ko"), ("ko", "ko"),
                                              ("fr-FR", "en"), (None, "en"), ("", "en")])
def test_the_browser_language_picks_the_app_language(locale, language):
    assert i18n.from_locale(locale) == language


def test_a_link_with_lang_shows_the_page_in_that_language_and_the_switch_keeps_page_and_settings():
    korean = _catalog("ko")
    app = open_link("vgg16", lang="ko", variant="vgg19", step="3")
    labels = [button.label for button in app.button]
    assert korean["Next"].string in labels and korean["Share this view"].string in labels
    app.session_state["lang"] = "zh"
    app.run()
    chinese = _catalog("zh")
    assert chinese["Next"].string in [button.label for button in app.button]
    assert app.selectbox[0].value == "vgg19"
    assert app.query_params["lang"] == "zh" and app.query_params["step"] == "3"
    app.session_state["lang"] = "en"
    app.run()
    assert "Next" in [button.label for button in app.button] and "lang" not in app.query_params


def test_a_bad_language_in_a_link_falls_back_to_english_with_the_notice():
    app = open_link("home", lang="xx")
    assert any("`lang=xx`" in warning.value for warning in app.warning)
    assert app.title[0].value == "cnnviz — classic CNN architectures, live"


@pytest.mark.parametrize("page, tab, widget_key", [("lab-receptive-field", "growth", "lab_rf_growth_models"),
                                                   ("inside-the-network", "filters", None)])
def test_the_open_tab_stays_open_when_the_language_changes(page, tab, widget_key, no_torchvision_weights):
    app = open_link(page, tab=tab)
    for language in ("ko", "zh", "en"):
        app.session_state["lang"] = language
        app.run()
        i18n.use(language)  # AppTest reads the drawn choices' labels back in this thread, before the next run
        assert not app.exception
        assert app.query_params["tab"] == tab, language
        if widget_key:
            assert app.multiselect(key=widget_key).value  # the growth tab's chart is drawn

"""Values from outside the app shown as text, never as markdown: every page opened with every link parameter set
to a hostile value, and hostile names of uploaded files. Streamlit's markdown would otherwise draw them as a link
or an image inside the app's own boxes (``ui.plain``).

The parameters are those the pages bind through ``ui.url_state``, found by recording ``bind`` while each page
draws its first view and then each of its linked tabs: a parameter added to a page is covered without a word here.
"""

from __future__ import annotations

import io
import string
from dataclasses import dataclass, field

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.any_network_files import tiny_graph
from tests.conftest import ROOT, page_param
from ui import url_state
from ui.plain import code, plain

HOSTILE = {
    "link": "[Session expired: log in](http://x/login)",
    "image": "![t](http://x/p.png)",
    "code span breakout": "`[Log in](//x/y)`",
    "html": "<img src=x onerror=alert(1)>",
    "colour and icon": ":red[big] :material/warning:",
}
EVERY_FORM = " ".join(HOSTILE.values())  # a file name is shown whole: one name carries them all
# The payloads' live forms, as Streamlit's markdown would see them outside code spans and escapes...
LIVE = ["](http://x/login)", "![t](", "](http://x/p.png)", "](//x/y)", ":red[big]"]
LIVE_HTML = ["<img src=x"]  # ...raw HTML only where an element allows it (Streamlit shows it as text elsewhere)
# ...and what its frontend rewrites in the parsed text, where escapes no longer count: icons and bare links.
REWRITTEN = ["big] :material_warning:", "http://x/login", "http://x/p.png"]
NOTICE_LENGTH = 40  # url_state.notice shows a link's value up to this many characters
PAGES = sorted(path.stem for path in (ROOT / "pages").glob("*.py"))
# A parameter the page reads before ``bind`` and reports its own way (its error line quotes the value).
READ_BEFORE_BIND = {"your-network": {"model"}, "design": {"net"}}
MARKDOWN = ("markdown", "caption", "error", "warning", "info", "success", "exception", "toast", "title", "header",
            "subheader")


def _parsed(source: str) -> list[tuple[str, str]]:
    """Each character Streamlit shows for a markdown line, with where it stands: "live" (markdown syntax acts),
    "escaped" (after a backslash) or "code" (inside a code span). CommonMark's rules for these two; the frontend
    first writes ``:material/`` as ``:material_`` in the whole source (its icon syntax)."""
    source = source.replace(":material/", ":material_")
    shown, at = [], 0
    while at < len(source):
        char = source[at]
        if char == "\\" and at + 1 < len(source) and source[at + 1] in string.punctuation:
            shown.append((source[at + 1], "escaped"))
            at += 2
        elif char == "`":
            run = len(source[at:]) - len(source[at:].lstrip("`"))
            end = _closing(source, at + run, run)
            if end is None:  # no closing run of the same length: the backticks are text
                shown += [("`", "live")] * run
                at += run
            else:
                shown += [(c, "code") for c in source[at + run:end]]
                at = end + run
        else:
            shown.append((char, "live"))
            at += 1
    return shown


def _closing(source: str, start: int, run: int) -> int | None:
    at = start
    while (at := source.find("`", at)) >= 0:
        length = len(source[at:]) - len(source[at:].lstrip("`"))
        if length == run:
            return at
        at += length
    return None


def live_forms(source: str, html: bool = False) -> list[str]:
    """The hostile payloads' forms that Streamlit would draw as markdown (a link, an image, a colour, an icon)."""
    chars = _parsed(source)
    live = "".join(c if where == "live" else "\0" for c, where in chars)
    text = "".join(c if where != "code" else "\0" for c, where in chars)
    return ([form for form in LIVE + (LIVE_HTML if html else []) if form in live]
            + [form for form in REWRITTEN if form in text])


def shown(source: str) -> str:
    """The text a reader sees (word joiners are invisible)."""
    return "".join(c for c, _where in _parsed(source)).replace("\u2060", "")


def _texts(app: AppTest) -> list[tuple[str, str, bool]]:
    """(element type, markdown, whether it allows HTML) of every element and widget text that renders markdown."""
    found = [(kind, element.value, bool(getattr(element, "allow_html", False)))
             for kind in MARKDOWN for element in app.get(kind)]
    for node in [*app.main, *app.sidebar]:
        for name in ("label", "help"):
            value = getattr(node, name, None)
            if isinstance(value, str) and value:
                found.append((f"{node.type}.{name}", value, False))
    return found


def assert_shown_as_text(app: AppTest, where: str) -> None:
    assert not app.exception, (where, [e.value for e in app.exception])
    live = [(kind, value, forms) for kind, value, html in _texts(app) if (forms := live_forms(value, html))]
    assert not live, (where, live)


def assert_shown(app: AppTest, text: str, where: str) -> None:
    """The test reached the text: it is on the page, whole, as a reader sees it."""
    assert any(text in shown(value) for _kind, value, _html in _texts(app)), (where, text)


@dataclass
class Recorder:
    """What ``url_state`` saw in one run: the parameters bound, the ids a link can give ``tab``, the notices."""

    params: set = field(default_factory=set)
    tabs: list = field(default_factory=list)
    noticed: set = field(default_factory=set)


@pytest.fixture
def recorder(monkeypatch):
    record = Recorder()
    bind, notice = url_state.bind, url_state.notice

    def recording_bind(param, key, default, **options):
        record.params.add(param)
        if param == "tab" and options.get("choices") is not None:
            show = options.get("show", str)
            record.tabs = [show(choice) for choice in options["choices"]]
        return bind(param, key, default, **options)

    def recording_notice(param, raw, instead):
        record.noticed.add(param)
        return notice(param, raw, instead)

    # flag() and several() call bind by its module name, the pages by url_state.bind: both see these.
    monkeypatch.setattr(url_state, "bind", recording_bind)
    monkeypatch.setattr(url_state, "notice", recording_notice)
    return record


def _run(app: AppTest, record: Recorder, query: dict[str, str], where: str) -> Recorder:
    record.params, record.tabs, record.noticed = set(), [], set()
    app.query_params.clear()
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, (where, [e.value for e in app.exception])
    return Recorder(set(record.params), list(record.tabs), set(record.noticed))


def _views(app: AppTest, record: Recorder, page: str) -> list[tuple[str | None, set]]:
    """(open tab or None for the first view, the parameters first bound there): the first view and each linked tab
    that binds parameters the others do not."""
    first = _run(app, record, {}, page)
    views, seen = [(None, first.params)], set(first.params)
    for tab in first.tabs[1:]:
        new = _run(app, record, {"tab": tab}, f"{page}?tab={tab}").params - seen
        if new:
            views.append((tab, new))
            seen |= new
    return views


@pytest.mark.slow
@pytest.mark.parametrize("page", [page_param(page) for page in PAGES])
def test_every_link_parameter_shows_a_hostile_value_as_text(page, recorder):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.switch_page(f"pages/{page}.py")
    views = _views(app, recorder, page)
    assert views[0][1] >= {"lang", "present"}  # the app's own parameters, on every page: the recording works
    for tab, params in views:
        for kind, payload in HOSTILE.items():
            query = {name: payload for name in params} | ({"tab": tab} if tab else {})
            where = f"{page}?{'tab=' + tab + '&' if tab else ''}{','.join(sorted(params))}= {kind}"
            seen = _run(app, recorder, query, where)
            assert_shown_as_text(app, where)
            # Each value reached the page's text: a notice for each (or the page's own line), the value in sight.
            assert params - seen.noticed <= READ_BEFORE_BIND.get(page, set()), (where, params - seen.noticed)
            assert_shown(app, payload[:NOTICE_LENGTH], where)


def test_plain_shows_every_hostile_value_as_itself():
    samples = [*HOSTILE.values(), EVERY_FORM, ":smile: :streamlit: www.x.org a@b.co x -> y", "1. a", "- b",
               "# h", "> q", "a_b _c_ *d* ~e~ $f$ | &amp; \\", "convnext_tiny; closest: resnet50.a1_in1k"]
    for sample in samples:
        markdown = plain(sample)
        assert not live_forms(markdown, html=True), (sample, markdown)
        assert shown(markdown) == sample
        assert "\n" not in plain(sample + "\n# heading")  # a line break would start a heading
    # Ordinary names stay as they are: error lines keep reading as before.
    for ordinary in ["convnext_tiny", "timm has no model 'convnext_tiy'; closest: convnext_tiny", "photo.jpg: x"]:
        assert plain(ordinary) == ordinary
    # What the checks above rely on: unescaped, each payload is live (or rewritten) markdown; the backticks once
    # inside the notice's own code span.
    for kind, payload in HOSTILE.items():
        assert live_forms(f"`p={payload}`" if kind == "code span breakout" else payload, html=True), payload


def test_code_cannot_be_closed_by_its_value():
    for sample in [*HOSTILE.values(), "``a`b```", "`", " `x` ", "param=`[Log in](//x/y)`"]:
        span = code(sample)
        assert not live_forms(f"Showing {span} instead.", html=True), span
        assert shown(span).strip() == sample.strip() and all(where == "code" for _c, where in _parsed(span))
    # The notice's old form: a single backtick each side, which the value closed.
    assert live_forms(f"This link's `variant={HOSTILE['code span breakout']}` does not fit")


def _upload_page(page: str, query: dict[str, str]) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.switch_page(page)
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.slow
def test_a_hostile_photo_file_name_shows_as_text(no_torchvision_weights):
    app = _upload_page("pages/image-predictions.py", {})
    app.radio(key="image_predict_photo_source").set_value("upload").run()
    upload = app.file_uploader(key="image_predict_photo_upload")
    upload.set_value((EVERY_FORM, b"\xff\xd8\xff\xe0 not a photo", "image/jpeg")).run()
    assert_shown_as_text(app, "a broken photo's error line")
    assert_shown(app, f"{EVERY_FORM}: ", "a broken photo's error line")

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 200)).save(buffer, "PNG")
    app.file_uploader(key="image_predict_photo_upload").set_value((EVERY_FORM, buffer.getvalue(), "image/png")).run()
    assert not app.error
    assert_shown_as_text(app, "the photo's caption")
    assert_shown(app, f"{EVERY_FORM} · 64x48 pixels", "the photo's caption")


@pytest.mark.slow
def test_a_hostile_onnx_file_name_and_layer_name_show_as_text():
    app = _upload_page("pages/your-network.py", {"source": "onnx"})
    app.file_uploader[0].upload(EVERY_FORM, b"GIF89a a picture, not a model").run()
    assert_shown_as_text(app, "a bad file's error line")
    assert_shown(app, f"{EVERY_FORM}: this is not an ONNX file", "a bad file's error line")

    app.file_uploader[0].upload(EVERY_FORM, tiny_graph(["N", 3, "H", "W"]).SerializeToString()).run()
    assert_shown_as_text(app, "the line asking for an input size")
    assert_shown(app, f"{EVERY_FORM}: the file leaves the input's size open", "the line asking for an input size")

    model = tiny_graph([1, 3, 32, 32])
    model.graph.node[0].name = EVERY_FORM  # the layer name the receptive-field line quotes
    app.file_uploader[0].upload(EVERY_FORM, model.SerializeToString()).run()
    app.query_params["tab"] = "rf"
    app.run()
    assert not app.error
    assert_shown_as_text(app, "the receptive field line")
    assert_shown(app, f"last convolutional stage ({EVERY_FORM.strip('/')})", "the receptive field line")

"""The live class's pages in AppTest (ui.classroom): start a class, ask from a walk step, answers from phones in
three languages, the reveal's slips, follow mode and where a phone lands, the CSV, End class, refusals as messages,
and an answer sent while the database is away."""

from __future__ import annotations

import csv
import io

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import rooms, store
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def class_store(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CNNVIZ_DATABASE_URL", raising=False)
    engine = store.make_engine()
    store.use_engine(engine)
    yield
    store.use_engine(None)
    engine.dispose()


def _open(**params) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.switch_page("pages/class.py")
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, app.exception
    return app


def _texts(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "success", "error", "info", "warning")
             for e in getattr(app, kind)]
    return "\n".join(str(p) for p in parts)


def _instructor() -> tuple[AppTest, str, str]:
    app = _open()
    app.button(key="class_start").click().run()
    assert not app.exception, app.exception
    return app, app.query_params["room"], app.query_params["key"]


def _ask_output_width_of_alexnet_conv1(app: AppTest) -> None:
    app.selectbox(key="class_arch").set_value("alexnet").run()
    assert app.selectbox(key="class_step_alexnet").value == 1  # CONV1
    app.selectbox(key="class_ask_for").set_value("output").run()
    app.button(key="class_ask").click().run()
    assert not app.exception, app.exception


def _answer(phone: AppTest, value: int) -> None:
    number = next(n for n in phone.number_input if n.key.startswith("class_number_"))
    number.set_value(value)
    next(b for b in phone.button if b.label in ("Send", "发送", "보내기")).click()
    phone.run()
    assert not phone.exception, phone.exception


def test_a_whole_question_from_start_to_reveal_with_phones_in_three_languages():
    projector, code, key = _instructor()
    assert f"Room `{code}`" in _texts(projector)
    assert projector.get("imgs") or projector.get("image"), "no QR code"
    _ask_output_width_of_alexnet_conv1(projector)
    assert "Question 1" in _texts(projector) and "CONV1" in _texts(projector)

    # AlexNet's conv1 in torchvision: 3x224x224, 11x11 stride 4 pad 2: (224 - 11 + 4) // 4 + 1 = 55.
    phones = {language: _open(room=code, lang=language) for language in ("en", "zh", "ko")}
    assert "输入" in _texts(phones["zh"]) and "입력" in _texts(phones["ko"])
    _answer(phones["en"], 55)
    _answer(phones["zh"], 54)  # the padding forgotten: (224 - 11) // 4 + 1
    _answer(phones["ko"], 54)
    assert "55" in _texts(phones["en"]) and "change it until" in _texts(phones["en"])
    _answer(phones["ko"], 55)  # changed while open
    projector.run()
    assert [m.value for m in projector.metric] == ["3", "3"]

    projector.button(key="class_reveal").click().run()
    assert not projector.exception
    text = _texts(projector)
    assert "Right answer: 55 (2 of 3 right)" in text
    assert "1 forgot the padding" in text

    for phone in phones.values():
        phone.run()
        assert not phone.exception
    assert "is right" in _texts(phones["en"])
    wrong = _texts(phones["zh"])
    assert "55" in wrong and "填充" in wrong, "the zh student's own slip is not explained in Chinese"
    assert "Closed" not in _texts(phones["ko"])

    rows = list(csv.reader(io.StringIO(rooms.results_csv(code, key))))
    assert rows[1][3:6] == ["3", "2", "67%"]


def test_a_wrong_or_missing_key_opens_the_students_view_or_a_message():
    _projector, code, key = _instructor()
    wrong = _open(room=code, key="not-the-key")
    assert "does not open room" in _texts(wrong)
    assert not [b for b in wrong.button if b.key in ("class_reveal", "class_ask", "class_end")]
    student = _open(room=code)
    assert "The question will appear here" in _texts(student)
    assert not [b for b in student.button if b.key in ("class_reveal", "class_ask", "class_end")]
    unknown = _open(room="ACEFGH")
    assert "No class is open with this code" in _texts(unknown)
    bad = _open(room="<script>")
    assert "not one" in _texts(bad)


def test_follow_mode_shows_the_instructors_walk_step_on_the_phone():
    projector, code, key = _instructor()
    projector.toggle(key="class_follow_toggle").set_value(True).run()
    phone = _open(room=code)
    projector.switch_page("pages/vgg16.py").run()
    projector.query_params.clear()
    assert not projector.exception
    projector.session_state["vgg16_vgg16_None_step"] = 3
    projector.run()
    assert rooms.student_view(code, "x").follow["step"] == 3
    phone.run()
    text = _texts(phone)
    assert "On the projector" in text and "step 3 of" in text
    assert phone.get("imgs") or phone.get("image"), "the followed step's drawing is missing"


def test_end_class_from_the_projector_deletes_the_answers():
    projector, code, key = _instructor()
    _ask_output_width_of_alexnet_conv1(projector)
    phone = _open(room=code)
    _answer(phone, 55)
    projector.button(key="class_end").click().run()
    assert rooms.version(code) is None
    phone.run()
    assert "No class is open" in _texts(phone) or "ended" in _texts(phone)


def test_the_shared_link_of_the_instructors_view_is_the_join_link():
    projector, code, key = _instructor()
    projector.button(key="share_sidebar").click().run()
    links = [c.value for c in projector.code]
    assert any(link.endswith(f"?room={code}") for link in links), links  # the dialog's link: the join link
    assert [link for link in links if key in link] == [link for link in links if link.endswith(f"&key={key}")]


def _scrolled_to(app: AppTest) -> list[str]:
    """The parts of the phone's page (their keys) that the last run scrolls the browser to (``ui.scroll``)."""
    return [part for element in app.get("html") if 'class="cnnviz-scroll"' in element.value
            for part in ("class_question", "class_followed") if f".st-key-{part}" in element.value]


def test_a_phone_lands_on_a_new_question_and_on_the_projectors_new_step_once_each():
    projector, code, key = _instructor()
    projector.toggle(key="class_follow_toggle").set_value(True).run()
    phone = _open(room=code)
    assert _scrolled_to(phone) == []  # nothing to land on yet
    projector.switch_page("pages/vgg16.py").run()
    projector.query_params.clear()
    projector.session_state["vgg16_vgg16_None_step"] = 3
    projector.run()
    phone.run()
    assert _scrolled_to(phone) == ["class_followed"]
    phone.run()
    assert _scrolled_to(phone) == [], "a run with nothing new moved the phone"
    rooms.ask(code, key, {"kind": "output_size", "W": 224, "F": 7, "P": 3, "S": 2})
    phone.run()
    assert _scrolled_to(phone) == ["class_question"]
    _answer(phone, 112)  # the student's own answer: the page stays where it is
    assert _scrolled_to(phone) == []


def test_an_answer_sent_while_the_database_is_away_is_sent_once_it_is_back(monkeypatch):
    _projector, code, key = _instructor()
    rooms.ask(code, key, {"kind": "output_size", "W": 224, "F": 7, "P": 3, "S": 2})  # 112
    phone = _open(room=code)

    def away(*_args, **_kwargs):
        raise store.StoreUnavailable("connection refused")

    with monkeypatch.context() as outage:
        for name in ("answer", "student_view", "version"):
            outage.setattr(rooms, name, away)
        _answer(phone, 112)
        assert "Reconnecting to the class" in _texts(phone) and "Your answer is kept" in _texts(phone)
        assert not phone.error
    phone.run()  # what the page's retry does once the database answers
    assert "Your answer 112 is in" in _texts(phone)
    assert rooms.projector(code, key).answered == 1
    phone.run()
    assert rooms.projector(code, key).answered == 1 and "Reconnecting" not in _texts(phone)

"""Presenter mode and the share dialog, in AppTest; the QR code read back by a barcode reader."""

import io

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.required import require_module


def _app(**params) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in params.items():
        app.query_params[name] = value
    return app.run()


def _toggle(app, label):
    return next(t for t in app.toggle if t.label == label)


def test_present_in_a_link_turns_presenter_mode_on_and_leaving_turns_it_off():
    app = _app(present="1", tab="table")
    app.switch_page("pages/alexnet.py").run()
    assert not app.exception
    assert _toggle(app, "Presenter mode").value is True
    assert app.query_params["present"] == "1"
    assert "The layer table" in [e.label for e in app.expander]  # long tables fold away
    app.button(key="present_leave").click().run()
    assert _toggle(app, "Presenter mode").value is False
    assert "present" not in app.query_params
    assert "The layer table" not in [e.label for e in app.expander]


def test_presenter_mode_survives_a_change_of_page():
    app = _app(present="1")
    app.switch_page("pages/lab-lrn.py").run()
    app.switch_page("pages/vgg16.py").run()
    assert _toggle(app, "Presenter mode").value is True


def test_the_share_dialog_shows_the_link_of_this_view():
    app = _app()
    app.switch_page("pages/vgg16.py").run()
    app.selectbox[0].set_value("vgg19").run()
    app.button(key="share_sidebar").click().run()
    assert not app.exception
    link = app.code[-1].value
    assert link.endswith("?variant=vgg19"), link
    assert len(app.get("image")) >= 1  # the QR code


@pytest.mark.parametrize("link", ["http://192.168.1.20:8501/vgg16?variant=vgg19&step=3&present=1",
                                  "https://cnnviz.example.edu/lab-output-size?w=227&f=11&s=4"])
def test_the_qr_code_reads_back_as_the_link(link):
    zxingcpp = require_module("zxingcpp", "pip install zxing-cpp")
    from ui.share import qr_png

    image = Image.open(io.BytesIO(qr_png(link, scale=8)))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == [link]

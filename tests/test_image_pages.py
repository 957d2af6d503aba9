"""The image-lab pages in AppTest: a sample photo gives predictions; a broken upload is one line of error,
no exception, and the previous photo stays; the inside page draws every tab (AppTest runs one at a time)."""

import io
import tomllib

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.imagelab.images import MAX_BYTES
from tests.conftest import ROOT, open_page
from ui.photo import PHOTO_KEY

pytestmark = pytest.mark.slow


_page = open_page


def _chart_text(app: AppTest) -> str:
    return " ".join(chart.proto.spec for chart in app.get("plotly_chart"))


def test_sample_photo_gives_predictions_and_a_broken_upload_keeps_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty torch cache: torchvision weights are missing
    app = _page("pages/image-predictions.py")
    assert "tiger cat" in _chart_text(app) or "tabby" in _chart_text(app)

    app.selectbox(key="image_predict_photo_sample").set_value("coffee").run()
    assert not app.exception and "espresso" in _chart_text(app)

    app.radio(key="image_predict_photo_source").set_value("upload").run()
    app.file_uploader(key="image_predict_photo_upload").set_value(
        ("holiday.jpg", b"\xff\xd8\xff\xe0 this is not a photo", "image/jpeg")).run()
    assert not app.exception
    (error,) = app.error
    assert error.value.startswith("holiday.jpg: ") and "\n" not in error.value
    assert app.session_state[PHOTO_KEY].name == "coffee" and "espresso" in _chart_text(app)

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 90, 200)).save(buffer, "PNG")
    app.file_uploader(key="image_predict_photo_upload").set_value(("blue.png", buffer.getvalue(), "image/png")).run()
    assert not app.exception and not app.error
    assert app.session_state[PHOTO_KEY].name == "blue.png"

    app.multiselect(key="image_predict_models").set_value(["efficientnet_lite0", "resnet18"]).run()
    assert not app.exception
    # Where to put the file, in torch's own terms: the server's absolute path is not a visitor's to read.
    assert any("resnet18-f37072fd.pth" in w.value and "$TORCH_HOME/hub/checkpoints" in w.value for w in app.warning)
    assert not any(str(tmp_path) in element.value for element in [*app.warning, *app.error, *app.caption])

    app.switch_page("pages/inside-the-network.py").run()  # the photo travels with the session
    assert not app.exception and app.session_state[PHOTO_KEY].name == "blue.png"
    assert any(c.value.startswith("blue.png") for c in app.caption)


def _open_tab(app: AppTest, label: str) -> AppTest:
    app.session_state["image_inside_tab"] = label  # only the open tab runs
    app.run()
    assert not app.exception, app.exception
    return app


def test_inside_page_pretrained_and_random_weights():
    app = _page("pages/inside-the-network.py")
    assert any("pretrained on ImageNet" in s.value for s in app.success)
    charts = list(app.get("plotly_chart"))
    assert len(charts) == 2  # the feature-maps tab alone: input + maps
    for label in ("First-layer filters", "Grad-CAM", "Receptive field"):
        charts += list(_open_tab(app, label).get("plotly_chart"))
    assert len(charts) >= 6  # input + maps, filters, input + Grad-CAM, receptive field x2
    assert any("Grad-CAM of" in c.proto.spec for c in charts)
    assert any("unit (" in c.proto.spec for c in charts)

    app.selectbox(key="image_inside_model").set_value("lenet5").run()
    assert not app.exception
    assert any("Random weights" in w.value for w in app.warning)
    _open_tab(app, "Grad-CAM")
    assert any("needs a pretrained classifier" in i.value for i in app.info)


def test_a_map_one_unit_high_has_no_unit_slider():
    # LeNet-5's last convolution leaves a 1x1 map: a slider from 0 to 0 would raise.
    app = _page("pages/inside-the-network.py")
    app.selectbox(key="image_inside_model").set_value("lenet5").run()
    _open_tab(app, "Receptive field")
    app.selectbox(key="image_inside_lenet5_rf_layer").set_value("features.6").run()
    assert not app.exception
    assert not [s for s in app.slider if "features.6" in s.key]
    assert any("1x1 units)" in c.value and "Unit (0, 0)" in c.value for c in app.caption)


def test_a_damaged_checkpoint_falls_back_to_random_weights(tmp_path, monkeypatch):
    from cnnviz.imagelab import pretrained

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    folder = pretrained.checkpoints_dir()
    folder.mkdir(parents=True)
    (folder / pretrained.weights_file(pretrained.weights_choices("resnet18")[0])).write_bytes(b"not a checkpoint")
    app = _page("pages/inside-the-network.py")
    app.selectbox(key="image_inside_model").set_value("resnet18").run()
    assert not app.exception
    assert any("not a valid checkpoint" in e.value for e in app.error)
    assert not any(str(tmp_path) in e.value for e in app.error)
    assert any("Random weights" in w.value for w in app.warning) and not app.success
    assert len(app.get("plotly_chart")) == 2  # the feature maps of the random network


def test_a_bad_sample_reports_its_error_on_the_page(monkeypatch):
    from types import SimpleNamespace

    from ui import photo

    state = {"image_predict_photo_source": "sample", "image_predict_photo_sample": "coffee"}
    monkeypatch.setattr(photo, "st", SimpleNamespace(session_state=state))
    monkeypatch.setattr(photo, "sample_bytes", lambda _name: b"not a photo")
    photo._on_source("image_predict")
    name, error = state["image_predict_photo_error"]  # worded when drawn, in the session's language
    assert name == "coffee" and str(error) and "None_photo_error" not in state


def test_the_upload_limit_is_stated_once_and_every_refused_file_is_one_visible_line():
    with open(ROOT / ".streamlit" / "config.toml", "rb") as config:
        transport_cap = tomllib.load(config)["server"]["maxUploadSize"] * 2**20  # Streamlit's MB
    assert transport_cap > MAX_BYTES  # a file over the app's limit reaches the app and gets its message

    app = _page("pages/image-predictions.py")
    app.radio(key="image_predict_photo_source").set_value("upload").run()
    (uploader,) = app.get("file_uploader")
    assert f"up to {MAX_BYTES // 2**20} MiB" in uploader.proto.label
    assert not uploader.proto.type  # no type filter: the browser refuses nothing silently
    for name, data, reason in (("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "accepted:"),
                               ("phone.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "accepted:"),
                               ("scan.png", b"\x89PNG" + bytes(MAX_BYTES), "the limit is")):
        app.file_uploader(key="image_predict_photo_upload").set_value((name, data, "application/octet-stream")).run()
        assert not app.exception
        (error,) = app.error
        assert error.value.startswith(f"{name}: ") and reason in error.value and "\n" not in error.value

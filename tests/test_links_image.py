"""The image lab's links: a link opens exactly its view (the sample photo, the networks, the layer, the tab...),
a changed widget is written into the URL, a bad value falls back with one line, and a page left and come back to
keeps its settings. Networks with random weights or missing weights keep the runs short."""

import io

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import leave_and_return, open_link, open_page
from ui.photo import PHOTO_KEY

pytestmark = pytest.mark.slow

PREDICT, INSIDE = "image_predict", "image_inside"


@pytest.fixture(autouse=True)
def no_torchvision_weights(tmp_path, monkeypatch):
    """An empty torch cache: the torchvision networks offer a download instead of predicting (fast, offline)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))


def _notices(app: AppTest) -> list[str]:
    return [w.value for w in app.warning if "does not fit this page" in w.value]


def _photo_caption(app: AppTest) -> str:
    return next(c.value for c in app.caption if " pixels" in c.value)


# --- What do the networks see (image-predictions) ---

def test_predictions_link_opens_its_photo_and_networks():
    app = open_link("image-predictions", photo="coffee", models="resnet18,vgg16")
    assert app.selectbox(key=f"{PREDICT}_photo_sample").value == "coffee"
    assert app.multiselect(key=f"{PREDICT}_models").value == ["resnet18", "vgg16"]
    # The link's sample is the session's photo, as if picked in the box: the page shows it.
    assert app.session_state[PHOTO_KEY].name == "coffee"
    assert _photo_caption(app).startswith("scikit-image: coffee.png")
    assert [h.value for h in app.header] == ["ResNet-18", "VGG-16"]
    assert any("VGG-16" in w.value for w in app.warning)  # its weights are missing: the page says so
    assert not _notices(app)
    assert dict(app.query_params) == {"photo": "coffee", "models": "resnet18,vgg16"}


def test_predictions_networks_travel_with_every_run():
    """The chosen networks go to the browser on every run, not only on the run that set them: a browser that draws
    the multiselect afresh (a run cut short on a busy server) would otherwise start it empty."""
    app = open_link("image-predictions", models="resnet18")
    app.radio(key=f"{PREDICT}_photo_source").set_value("upload").run()  # a run that does not touch the networks
    chosen = app.multiselect(key=f"{PREDICT}_models")
    assert chosen.proto.set_value and chosen.value == ["resnet18"]


def test_predictions_widgets_write_the_url_and_an_upload_leaves_no_photo():
    app = open_link("image-predictions", models="resnet18")
    assert "photo" not in app.query_params  # the first sample is the default: left out
    app.selectbox(key=f"{PREDICT}_photo_sample").set_value("rocket").run()
    assert app.query_params["photo"] == "rocket" and app.session_state[PHOTO_KEY].name == "rocket"
    app.multiselect(key=f"{PREDICT}_models").set_value(["alexnet", "resnet18"]).run()
    assert app.query_params["models"] == "alexnet,resnet18"

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    app.radio(key=f"{PREDICT}_photo_source").set_value("upload").run()
    app.file_uploader(key=f"{PREDICT}_photo_upload").set_value(("red.png", buffer.getvalue(), "image/png")).run()
    assert not app.exception, app.exception
    assert app.session_state[PHOTO_KEY].name == "red.png"
    assert "photo" not in app.query_params and not _notices(app)  # an upload cannot travel in a link: no word
    assert app.query_params["models"] == "alexnet,resnet18"


def test_predictions_bad_links_fall_back_with_one_line():
    app = open_link("image-predictions", photo="holiday", models="resnet18")
    (notice,) = _notices(app)
    assert "`photo=holiday`" in notice and "Chelsea the cat" in notice  # the photo by its name, not its id
    assert app.selectbox(key=f"{PREDICT}_photo_sample").value == "chelsea"
    assert app.session_state[PHOTO_KEY].name == "chelsea" and "photo" not in app.query_params

    app = open_link("image-predictions", models="resnet18,lenet99")
    (notice,) = _notices(app)
    assert "`models=lenet99`" in notice
    assert app.multiselect(key=f"{PREDICT}_models").value == ["resnet18"]
    assert app.query_params["models"] == "resnet18"

    app = open_link("image-predictions", models="nothing,known", photo="chelsea")
    assert len(_notices(app)) == 1
    assert app.multiselect(key=f"{PREDICT}_models").value == ["efficientnet_lite0"]
    assert "models" not in app.query_params


def test_predictions_keep_their_settings_when_left():
    app = open_page("pages/image-predictions.py")
    app.multiselect(key=f"{PREDICT}_models").set_value(["resnet18"]).run()
    app.selectbox(key=f"{PREDICT}_photo_sample").set_value("astronaut").run()
    app.multiselect(key=f"{PREDICT}_models").set_value(["vgg16", "alexnet"]).run()
    leave_and_return(app, "image-predictions")
    assert app.selectbox(key=f"{PREDICT}_photo_sample").value == "astronaut"
    assert app.multiselect(key=f"{PREDICT}_models").value == ["vgg16", "alexnet"]
    assert [h.value for h in app.header] == ["VGG-16", "AlexNet"]
    assert app.query_params["photo"] == "astronaut" and app.query_params["models"] == "vgg16,alexnet"


# --- Inside the network ---

def _grid_title(app: AppTest) -> str:
    chart = next(c for c in app.get("plotly_chart") if "most active of" in c.proto.spec)
    return chart.proto.spec


def test_inside_link_opens_its_network_layer_channels_and_photo():
    app = open_link("inside-the-network", photo="rocket", model="lenet5", map="features.3", channels="8")
    assert app.selectbox(key=f"{INSIDE}_photo_sample").value == "rocket"
    assert app.session_state[PHOTO_KEY].name == "rocket"
    assert app.selectbox(key=f"{INSIDE}_model").value == "lenet5"
    assert app.selectbox(key=f"{INSIDE}_lenet5_layer").value == "features.3"
    assert app.slider(key=f"{INSIDE}_channels").value == 8
    assert "features.3: the 8 most active of 16 channels" in _grid_title(app)
    assert not _notices(app)

    app = open_link("inside-the-network", model="lenet5", tab="filters")
    assert app.session_state[f"{INSIDE}_tab"] == "First-layer filters"
    assert any("features.0: 6 kernels" in c.value for c in app.caption)  # the filters tab ran, not the maps
    assert not any("most active of" in c.proto.spec for c in app.get("plotly_chart"))


def test_inside_link_opens_its_grad_cam_layer():
    app = open_link("inside-the-network", tab="gradcam", cam="_blocks.15")
    assert app.selectbox(key=f"{INSIDE}_efficientnet_lite0_cam_layer").value == "_blocks.15"
    assert any("Target layer `_blocks.15`" in c.value for c in app.caption)
    assert dict(app.query_params) == {"tab": "gradcam", "cam": "_blocks.15"}


def test_inside_widgets_write_the_url():
    app = open_link("inside-the-network", model="lenet5")
    app.selectbox(key=f"{INSIDE}_lenet5_layer").set_value("features.0").run()
    app.slider(key=f"{INSIDE}_channels").set_value(4).run()
    app.selectbox(key=f"{INSIDE}_photo_sample").set_value("coffee").run()
    assert dict(app.query_params) == {"photo": "coffee", "model": "lenet5", "map": "features.0", "channels": "4"}
    app.session_state[f"{INSIDE}_tab"] = "Grad-CAM"  # what a click on the tab sets
    app.run()
    assert app.query_params["tab"] == "gradcam"
    assert any("needs a pretrained classifier" in i.value for i in app.info)


def test_inside_bad_links_fall_back_with_one_line():
    app = open_link("inside-the-network", model="lenet5", map="features.99", channels="5", tab="everything")
    notices = _notices(app)
    assert len(notices) == 3 and not app.exception
    assert any("`map=features.99`" in n for n in notices) and any("`channels=5`" in n for n in notices)
    assert any("`tab=everything`" in n for n in notices)
    assert app.selectbox(key=f"{INSIDE}_lenet5_layer").value == "features.4"  # the page's first look
    assert app.slider(key=f"{INSIDE}_channels").value == 16
    assert dict(app.query_params) == {"model": "lenet5"}

    app = open_link("inside-the-network", model="lenet-5", channels="many")
    assert len(_notices(app)) == 2
    assert app.selectbox(key=f"{INSIDE}_model").value == "efficientnet_lite0"
    assert app.slider(key=f"{INSIDE}_channels").value == 16


def test_inside_keeps_its_settings_when_left():
    app = open_page("pages/inside-the-network.py")
    app.selectbox(key=f"{INSIDE}_model").set_value("lenet5").run()
    app.selectbox(key=f"{INSIDE}_lenet5_layer").set_value("features.2").run()
    app.slider(key=f"{INSIDE}_channels").set_value(12).run()
    leave_and_return(app, "inside-the-network")
    assert app.selectbox(key=f"{INSIDE}_model").value == "lenet5"
    assert app.selectbox(key=f"{INSIDE}_lenet5_layer").value == "features.2"
    assert app.slider(key=f"{INSIDE}_channels").value == 12
    assert "features.2: the 6 most active of 6 channels" in _grid_title(app)


def test_a_photo_picked_on_one_page_is_the_next_pages_photo():
    app = open_page("pages/image-predictions.py")
    app.multiselect(key=f"{PREDICT}_models").set_value(["resnet18"]).run()
    app.selectbox(key=f"{PREDICT}_photo_sample").set_value("motorcycle").run()
    app.query_params.clear()  # as the browser does on a change of page
    app.switch_page("pages/inside-the-network.py").run()
    assert not app.exception, app.exception
    assert app.selectbox(key=f"{INSIDE}_photo_sample").value == "motorcycle"
    assert app.query_params.get("photo") == "motorcycle"
    assert _photo_caption(app).startswith("scikit-image: motorcycle_left.png")

"""The image lab's weight downloads (up to 528 MiB each onto the server's disk) are the operator's choice: without
CNNVIZ_ALLOW_DOWNLOADS=1 a visitor sees one line saying so instead of the button; with it, the button."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import open_link

pytestmark = pytest.mark.slow

BUTTON = "image_predict_download_resnet18"
VARIABLE = "CNNVIZ_ALLOW_DOWNLOADS"


@pytest.fixture(autouse=True)
def no_torchvision_weights(tmp_path, monkeypatch):
    """An empty torch cache: ResNet-18's weights are missing, so the page has a download to offer (or not)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))


def _buttons(app: AppTest) -> list[str]:
    return [button.key for button in app.button]


def _gate_lines(app: AppTest) -> list[str]:
    return [caption.value for caption in app.caption if VARIABLE in caption.value]


@pytest.mark.parametrize("value", [None, "0"])
def test_without_the_operators_permission_there_is_no_download_button(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(VARIABLE, raising=False)
    else:
        monkeypatch.setenv(VARIABLE, value)
    app = open_link("image-predictions", models="resnet18")
    assert BUTTON not in _buttons(app)
    (line,) = _gate_lines(app)
    assert f"{VARIABLE}=1" in line and "\n" not in line
    # Still said: which file is missing and where an operator can put it by hand.
    assert any("resnet18-f37072fd.pth" in warning.value for warning in app.warning)


def test_with_the_operators_permission_the_button_is_offered(monkeypatch):
    monkeypatch.setenv(VARIABLE, "1")
    app = open_link("image-predictions", models="resnet18")
    assert BUTTON in _buttons(app)  # offered, not pressed: no network in tests
    assert not _gate_lines(app)

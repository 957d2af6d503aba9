"""The attribution lab's page (its link opens exactly its view, bad values are one line, a network without weights
is one line) and ``python -m cnnviz explain``."""

import json

import numpy as np
import pytest

from cnnviz.cli.main import main
from cnnviz.imagelab.predict import crop_box
from cnnviz.imagelab.samples import sample_image, sample_path
from tests.conftest import ONE_PROCESS, open_link

pytestmark = [pytest.mark.slow, ONE_PROCESS["attribution-lab"]]
PAGE = "attribution"


def _notices(app) -> list[str]:
    return [w.value for w in app.warning if "does not fit this page" in w.value]


def test_the_maps_tab_draws_six_maps_and_a_rerun_hits_the_caches():
    app = open_link("attribution-lab", patch="112", stride="56", steps="16")
    assert app.slider(key=f"{PAGE}_patch").value == 112 and app.slider(key=f"{PAGE}_stride").value == 56
    titles = [m.value for m in app.markdown if m.value.startswith("**")]
    assert len(titles) == 6 and titles[1].startswith("**Occlusion**")
    assert any("(9 positions, stride 56)" in c.value for c in app.caption)
    assert not app.error and not _notices(app)
    app.run()  # every map from the caches, their progress bars replayed and cleared
    assert not app.exception and len([m for m in app.markdown if m.value.startswith("**")]) == 6


def test_a_patch_smaller_than_the_stride_draws_its_map():
    """/attribution-lab?patch=16 (stride 24 by default) stopped the page: Captum refused a stride above the patch."""
    app = open_link("attribution-lab", patch="16", steps="16")
    assert app.slider(key=f"{PAGE}_patch").value == 16 and app.slider(key=f"{PAGE}_stride").value == 24
    assert any("grey 16x16 patch" in c.value and "(196 positions, stride 16)" in c.value for c in app.caption)
    assert not app.error and len([m for m in app.markdown if m.value.startswith("**")]) == 6


def test_the_adversarial_link_opens_its_attack_and_epsilon():
    app = open_link("attribution-lab", tab="adversarial", attack="pgd", eps="0")
    assert app.radio(key=f"{PAGE}_attack").value == "pgd" and app.slider(key=f"{PAGE}_eps").value == 0
    assert [i.value for i in app.info] == ["The smallest epsilon that changes this photo's top-1 (tiger cat): 1/255."]
    app.slider(key=f"{PAGE}_eps").set_value(3).run()
    assert app.query_params["eps"] == "3" and not app.exception


def test_bad_values_in_a_link_are_one_line_each():
    app = open_link("attribution-lab", tab="channel", model="efficientnet_lite0", channel="99999", **{"class": "abc"})
    notices = _notices(app)
    assert len(notices) == 2 and any("class=abc" in n for n in notices) and any("channel=99999" in n for n in notices)
    assert app.number_input(key=f"{PAGE}_efficientnet_lite0__blocks.3_channel").value == 0
    assert any("receptive field" in c.value for c in app.caption)  # the tab drew on


def test_a_network_without_its_weights_is_one_line(no_torchvision_weights):
    app = open_link("attribution-lab", model="resnet18")
    assert len(app.info) == 1 and "resnet18" in app.info[0].value.lower()
    assert not app.error


def test_explain_prints_the_map_over_the_crop_as_json(capsys, tmp_path, lite0_classifier):
    out = tmp_path / "map.png"
    status = main(["explain", str(sample_path("chelsea")), "--method", "saliency", "--target", "tabby", "--json",
                   "--out", str(out)])
    assert status == 0
    data = json.loads(capsys.readouterr().out)
    assert data["method"] == "saliency" and data["model"] == "efficientnet_lite0"
    assert data["target"]["label"] == "tabby" and 0 < data["target"]["probability"] < 1
    spec = lite0_classifier.preprocessing
    assert data["crop_box"] == pytest.approx(crop_box(sample_image("chelsea").size, spec), abs=0.01)
    heatmap = np.array(data["heatmap"])
    assert heatmap.shape == (224, 224) and heatmap.min() >= 0 and heatmap.max() == pytest.approx(1.0)
    assert out.stat().st_size > 1000


def test_explain_names_an_unknown_class_in_one_line(capsys):
    assert main(["explain", str(sample_path("chelsea")), "--target", "tabby kat"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "tabby kat" in error and "tabby" in error

"""Topics the notes teach beside the architectures: He initialisation, 1x1 bottlenecks, ResNet-1202, the notes'
PyTorch example and the transfer-learning table, each recomputed."""

import contextlib
import io

import numpy as np
import pytest
import torch

from cnnviz.imagelab.samples import sample_image, sample_path
from cnnviz.lectures import topics
from tests.conftest import open_page


def test_weight_variance_is_what_torch_draws():
    stack = topics.ReluStack()
    for name, (_, draw) in topics.INITS.items():
        weight = torch.empty(stack.width, stack.width, dtype=torch.float64)
        draw(weight, torch.Generator().manual_seed(1))
        assert float(weight.var()) == pytest.approx(topics.weight_variance(name, stack), rel=0.02), name


def test_activation_spread_follows_he_et_als_factor():
    stack = topics.ReluStack()
    spread = topics.activation_spread(stack)
    assert set(spread) == set(topics.INITS) and all(len(s) == stack.depth for s in spread.values())
    for name, stds in spread.items():
        # From layer 2 on every layer's input has been through a ReLU: variance x n_in·Var(w)/2 per layer.
        measured = (stds[-1] / stds[1]) ** (2 / (stack.depth - 2))
        assert measured == pytest.approx(topics.variance_factor(name, stack), rel=0.1), name
    assert topics.variance_factor("He", stack) == pytest.approx(1.0)
    assert 0.5 < spread["He"][-1] / spread["He"][1] < 2
    assert spread["N(0, 0.01²)"][-1] < 1e-20


@pytest.fixture(scope="module")
def lite0(lite0_classifier):
    return lite0_classifier


def test_bottleneck_spectrum_on_a_pretrained_map(lite0):
    spectrum = topics.bottleneck_spectrum(lite0, sample_image("chelsea"))
    project = dict(lite0.model.named_modules())[topics.BOTTLENECK_LAYER]
    assert (spectrum.channels, spectrum.kept_by_layer) == (project.in_channels, project.out_channels) == (240, 40)
    assert spectrum.positions == 28 * 28
    # The same shares from the channels' covariance matrix, without scikit-learn.
    from cnnviz.imagelab.predict import preprocess

    maps = topics.layer_input(lite0.model, preprocess(sample_image("chelsea"), lite0.preprocessing),
                              topics.BOTTLENECK_LAYER).double().reshape(240, -1).numpy()
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(maps)))[::-1]
    assert spectrum.cumulative == pytest.approx(np.cumsum(eigenvalues) / eigenvalues.sum(), abs=1e-6)
    quarter, half = spectrum.fraction(60), spectrum.fraction(120)
    assert 0.5 < quarter < half < 1.0  # correlated channels: a quarter of the directions hold most variance


def test_cifar_resnets_match_he_et_al_table_6():
    for row in topics.cifar_resnet_rows():
        paper = next(p for p in topics.CIFAR_TABLE_6 if p.depth == row["layers"])
        digits = 1 if paper.params_millions >= 1 else 2
        assert round(row["parameters (computed)"] / 1e6, digits) == paper.params_millions, row
    by_depth = {row["layers"]: row for row in topics.cifar_resnet_rows()}
    assert by_depth[1202]["test error (paper, %)"] > by_depth[110]["test error (paper, %)"]


def test_the_generated_pytorch_code_gives_the_apps_top_5(lite0):
    path = sample_path("chelsea")
    code = topics.pytorch_example("efficientnet_lite0", lite0.preprocessing, str(path))
    namespace, printed = {}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "generated", "exec"), namespace)  # noqa: S102 (our own generated code)
    ours = lite0.predict(sample_image("chelsea"), 5)
    assert namespace["top5_catid"].tolist() == [p.index for p in ours]
    assert namespace["top5_prob"].tolist() == pytest.approx([p.probability for p in ours], abs=0.03)
    assert printed.getvalue().splitlines()[0].startswith(ours[0].label)


def test_the_generated_code_names_torchvisions_weights_and_transforms():
    from torchvision.models import get_model_weights

    from cnnviz.imagelab.predict import Preprocessing

    weights = get_model_weights("resnet50").DEFAULT
    transform = weights.transforms()
    spec = Preprocessing(transform.resize_size[0], transform.crop_size[0], tuple(transform.mean), tuple(transform.std))
    code = topics.pytorch_example("resnet50", spec, "photo.jpg", str(weights))
    assert "models.get_weight('ResNet50_Weights.IMAGENET1K_V2')" in code
    assert f"transforms.Resize({transform.resize_size[0]}, interpolation=transforms.InterpolationMode.BILINEAR)" in code
    assert "mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]" in code
    compile(code, "generated", "exec")


def test_transfer_measurements_come_from_the_bundle():
    from cnnviz.training.bundled import load_bundled

    bundle = load_bundled("transfer")
    rows = topics.measured_by_size(bundle)
    assert [row["images per class"] for row in rows] == sorted(
        [entry["per_class"] for entry in bundle["by_size"]] + [bundle["config"]["per_class"]])
    main = next(row for row in rows if row["images per class"] == bundle["config"]["per_class"])
    assert main == {"images per class": bundle["config"]["per_class"],
                    **{run["mode"]: round(100 * run["test_accuracy"], 1) for run in bundle["runs"]}}
    overtakes = topics.fine_tuning_overtakes(rows)
    assert overtakes is None or all(row["finetune"] <= row["frozen"] for row in rows
                                    if row["images per class"] < overtakes)


def test_resnet_page_shows_the_topics():
    app = open_page("pages/resnet50.py")
    expanders = [e.label for e in app.expander]
    assert {"He initialisation, computed", "Why a 1x1 bottleneck loses little",
            "Deeper is not always better: ResNet-1202 on CIFAR-10"} <= set(expanders)
    # Folded: nothing inside is drawn until the topic is opened.
    assert not app.get("plotly_chart") and not any("19,421,274" in md.value for md in app.markdown)
    for topic in ("he_init", "bottleneck", "resnet1202"):
        app.session_state[f"resnet50_{topic}_open"] = True
    app.run()
    app.toggle(key="resnet50_topic_run").set_value(True).run()
    assert not app.exception
    assert any(m.label == "Top C/4 = 60 directions" for m in app.metric)
    assert any("19,421,274" in md.value for md in app.markdown)
    assert app.query_params["he_init"] == "1"  # an opened topic is in the page's link


def test_googlenet_page_shows_the_bottleneck_topic():
    app = open_page("pages/googlenet.py")
    labels = [e.label for e in app.expander]
    assert "Why a 1x1 bottleneck loses little" in labels and "He initialisation, computed" not in labels


def test_image_predictions_page_shows_the_pytorch_code():
    app = open_page("pages/image-predictions.py")
    code = [c.value for c in app.code]
    assert any("transforms.CenterCrop(224)" in c and "torch.topk(probabilities, 5)" in c for c in code)


def test_transfer_learning_page_shows_the_strategy_table():
    app = open_page("pages/transfer-learning.py")
    assert not app.exception
    frames = [d.value for d in app.dataframe]
    assert any("similar to ImageNet" in frame.columns for frame in frames)
    assert any("images per class" in frame.columns for frame in frames)

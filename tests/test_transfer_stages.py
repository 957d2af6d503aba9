"""Transfer-learning stages: receptive fields by the notes' formula, and trainable counts in each mode."""

import pytest
import torchvision

from cnnviz.analysis.summary import summary_of
from cnnviz.lectures.transfer_stages import freeze, freezing_figure, stages, typical_features
from cnnviz.zoo.registry import resolve


def fields_by_hand(layers) -> list[int]:
    """l_k = l_{k-1} + (f_k - 1) * (product of the earlier strides), layer by layer."""
    field, jump, out = 1, 1, []
    for kernel, stride in layers:
        field, jump = field + (kernel - 1) * jump, jump * stride
        out.append(field)
    return out


def test_alexnet_receptive_fields_follow_the_notes_formula():
    # conv1 11/4, pool 3/2, conv2 5/1, pool 3/2, conv3-5 3/1, pool 3/2
    hand = fields_by_hand([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)])
    found = stages(summary_of("alexnet_paper"))
    assert [s.name for s in found] == ["55x55", "27x27", "13x13", "vector", "head"]
    assert [s.receptive_field for s in found] == [hand[0], hand[2], hand[6], hand[7], hand[7]]


def test_vgg16_sees_212_pixels_before_its_classifier():
    layers = []
    for convs in (2, 2, 3, 3, 3):
        layers += [(3, 1)] * convs + [(2, 2)]
    found = {s.name: s for s in stages(summary_of("vgg16"))}
    assert found["vector"].receptive_field == fields_by_hand(layers)[-1] == 212
    assert found["14x14"].receptive_field == fields_by_hand(layers)[-2]


@pytest.fixture(scope="module")
def resnet50():
    return torchvision.models.get_model_weights("resnet50").DEFAULT.meta["num_params"]


def test_freezing_resnet50_counts(resnet50):
    new_head, old_head = 2048 * 10 + 10, 2048 * 1000 + 1000
    _, frozen = freeze("resnet50", "freeze", 10)
    assert (frozen.trainable, frozen.frozen, frozen.new_head) == (new_head, resnet50 - old_head, new_head)
    assert frozen.head == "fc" and frozen.head_in == 2048 and frozen.new_head_macs == 2048 * 10
    _, everything = freeze("resnet50", "all", 10)
    assert (everything.trainable, everything.frozen) == (resnet50 - old_head + new_head, 0)
    model = resolve("resnet50")[1].build_on_meta()
    layer4 = sum(p.numel() for p in model.layer4.parameters())
    found, top = freeze("resnet50", "top", 10, 1)
    assert top.trainable == layer4 + new_head and top.trainable_stages == ("7x7", "head")
    assert [s.name for s in found] == ["112x112", "56x56", "28x28", "14x14", "7x7", "head"]


def test_efficientnet_lite0_head_is_fc_and_vgg_head_is_the_last_classifier_layer():
    assert freeze("efficientnet_lite0", "freeze", 10)[1].trainable == 1280 * 10 + 10
    assert freeze("vgg16", "freeze", 5)[1].head == "classifier[6]"


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="mode"):
        freeze("resnet50", "melt", 10)
    with pytest.raises(ValueError, match="class"):
        freeze("resnet50", "freeze", 0)


def test_features_and_figure():
    found, freezing = freeze("resnet50", "top", 10, 2)
    texts = [typical_features(s, i, len(found) - 1) for i, s in enumerate(found)]
    assert "edges" in texts[0] and "object" in texts[-2] and "class scores" in texts[-1]
    figure = freezing_figure(found, freezing.trainable_stages, freezing.new_head)
    assert "parameters" in figure.layout.xaxis.title.text and "stage" in figure.layout.yaxis.title.text
    trains = next(t for t in figure.data if t.name == "trains")
    assert list(trains.x) == [found[-3].params, found[-2].params, freezing.new_head]


def test_dense_block_stages_end_with_their_concatenation_and_functional_pooling_sees_everything():
    from cnnviz.lectures.transfer_stages import model_stages

    densenet = {s.name: s for s in model_stages("densenet121")}
    assert [densenet[n].output for n in ("56x56", "28x28", "14x14")] == ["256x56x56", "512x28x28", "1024x14x14"]
    assert densenet["head"].receptive_field is None  # F.adaptive_avg_pool2d, not a module
    mobilenet = model_stages("mobilenet_v2")
    assert mobilenet[-1].receptive_field is None and mobilenet[-2].receptive_field is not None


@pytest.mark.parametrize("model_name, mode, top", [("resnet50", "freeze", 0), ("resnet50", "top", 2),
                                                   ("mobilenet_v2", "all", 0), ("alexnet_paper", "top", 1)])
def test_the_generated_pytorch_code_trains_what_the_table_says(model_name, mode, top):
    """The page's code snippet, run on the model, leaves exactly the counted parameters trainable."""
    from dataclasses import asdict

    import torch

    from cnnviz.lectures.transfer_stages import freeze
    from cnnviz.lectures.transfer_table import freezing_code, stage_rows
    from cnnviz.zoo.registry import resolve

    found, freezing = freeze(model_name, mode, 7, top)
    freezing = asdict(freezing)
    model = resolve(model_name)[1].build_on_meta()
    with torch.device("meta"):
        exec(freezing_code(found, freezing, mode, 7), {"torch": torch, "model": model, "learning_rate": 0.01})
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == freezing["trainable"]
    rows = stage_rows(found, freezing, resolve(model_name)[1].input_size)
    trains = [row["trains"] == "yes" for row in rows]
    assert trains[-1] and sum(trains) == len(freezing["trainable_stages"])
    assert rows[-1]["parameters"] == freezing["new_head"]

"""The sanity check's cascading randomisation, the adversarial photos and what a channel wants, on
EfficientNet-Lite0 (the shared model must come out unchanged)."""

import numpy as np
import pytest
import torch

from cnnviz.analysis.receptive_field.recursion import receptive_fields
from cnnviz.imagelab import adversarial, sanity
from cnnviz.imagelab.attribution import pixel_space, to_pixels
from cnnviz.imagelab.channel_wants import field_of, layer_output, strongest_patches, visualise_channel
from cnnviz.imagelab.inside import default_cam_layer, from_classifier, layers, private_view
from cnnviz.imagelab.samples import sample_image
from cnnviz.zoo.registry import resolve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lite0(lite0_classifier):
    inspected = from_classifier(lite0_classifier)
    pixels = to_pixels(inspected.view(sample_image("chelsea")))
    return inspected, pixel_space(inspected), pixels


def test_the_cascade_goes_from_the_top_block_to_all(lite0):
    inspected, _net, _pixels = lite0
    blocks = sanity.weight_blocks(inspected.model)
    assert blocks[0] == "_conv_stem" and blocks[-1] == "_fc" and "_blocks.7" in blocks
    stages = sanity.cascade(inspected.model)
    assert stages[0].randomised == () and stages[1].randomised == ("_fc",)
    assert stages[-1].randomised == tuple(blocks[::-1])
    assert all(set(a.randomised) < set(b.randomised) for a, b in zip(stages, stages[1:]))


def test_grad_cam_of_the_randomised_network_loses_the_trained_ranking(lite0):
    inspected, net, pixels = lite0
    before = {key: value.clone() for key, value in inspected.model.state_dict().items()}
    target, cam_layer = int(net(pixels).argmax()), default_cam_layer(layers("efficientnet_lite0"))
    stages = sanity.cascade(inspected.model)
    maps = [sanity.stage_maps(net, pixels, target, stage, cam_layer, methods=("gradcam",))["gradcam"]
            for stage in (stages[0], stages[0], stages[-1])]
    trained = sanity.rank_correlation(maps[0], maps[1])
    randomised = sanity.rank_correlation(maps[0], maps[2])
    assert trained == pytest.approx(1.0)
    assert randomised < 0.5 < trained
    # The randomised networks were copies: the shared weights are the trained ones.
    assert all(torch.equal(before[key], value) for key, value in inspected.model.state_dict().items())


def test_a_block_gets_the_same_random_weights_at_every_stage(lite0):
    _inspected, net, _pixels = lite0
    one = sanity.randomised(net, sanity.Stage(("_fc",)))
    two = sanity.randomised(net, sanity.Stage(("_fc", "_bn1")))
    assert torch.equal(one.model._fc.weight, two.model._fc.weight)
    assert not torch.equal(one.model._fc.weight, net.model._fc.weight)


def test_fgsm_at_epsilon_zero_changes_nothing(lite0):
    _inspected, net, pixels = lite0
    result = adversarial.attacked(net, pixels, "fgsm", 0)
    assert not result.perturbation.any()
    np.testing.assert_array_equal(result.before, result.after)


@pytest.mark.parametrize("method", adversarial.ATTACKS)
@pytest.mark.parametrize("levels", [1, 5])
def test_the_perturbation_never_exceeds_epsilon(lite0, method, levels):
    _inspected, net, pixels = lite0
    result = adversarial.attacked(net, pixels, method, levels)
    assert np.abs(result.perturbation).max() == levels  # a whole number of levels, and all of epsilon used
    picture = torch.from_numpy(result.picture).permute(2, 0, 1)[None].float() / 255
    assert float((picture - pixels).abs().max()) <= levels / 255 + 1e-6


def test_the_smallest_flip_flips_and_one_level_less_does_not(lite0):
    _inspected, net, pixels = lite0
    label = int(net(pixels).argmax())
    levels = adversarial.smallest_flip(net, pixels, label, "fgsm")
    assert levels is not None
    flipped = adversarial.attacked(net, pixels, "fgsm", levels)
    assert flipped.after.argmax() != label
    assert adversarial.attacked(net, pixels, "fgsm", levels - 1).after.argmax() == label


def test_the_synthesised_picture_excites_its_channel(lite0):
    inspected, _net, _pixels = lite0
    spec, layer, channel = inspected.preprocessing, "_blocks.3", 5
    start = visualise_channel(inspected.model, spec.mean, spec.std, layer, channel, size=64, steps=0)
    learned = visualise_channel(inspected.model, spec.mean, spec.std, layer, channel, size=64, steps=24)
    view = private_view(inspected.model)

    def excitement(picture):
        pixels = torch.from_numpy(picture).permute(2, 0, 1)[None].float() / 255
        mean, std = torch.tensor(spec.mean).view(1, 3, 1, 1), torch.tensor(spec.std).view(1, 3, 1, 1)
        with torch.no_grad():
            return float(layer_output(view, layer, (pixels - mean) / std)[0, channel].mean())

    assert excitement(learned) > excitement(start) + 1.0


def test_the_patches_are_the_strongest_units_receptive_fields(lite0):
    inspected, _net, _pixels = lite0
    spec, layer, channel = inspected.preprocessing, "_blocks.3", 5
    field = field_of(layer, receptive_fields(resolve("efficientnet_lite0")[1], spec.crop))
    assert field.name == "_blocks.3._project_conv"
    views = {key: inspected.view(sample_image(key)) for key in ("chelsea", "coffee", "rocket")}
    patches = strongest_patches(inspected.model, spec.mean, spec.std, views, layer, channel, field)
    assert [p.activation for p in patches] == sorted((p.activation for p in patches), reverse=True)
    for patch in patches:
        left, top, right, bottom = patch.box
        assert patch.picture.shape[:2] == (bottom - top, right - left)
        assert right - left <= field.rf_hw[1] and bottom - top <= field.rf_hw[0]
        assert 0 <= left < right <= spec.crop and 0 <= top < bottom <= spec.crop

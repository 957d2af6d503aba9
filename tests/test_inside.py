"""Inside the network: feature maps, Grad-CAM and receptive-field boxes against hand computations; the shared
model is never hooked."""

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from cnnviz.analysis.receptive_field.effective import effective_field
from cnnviz.analysis.receptive_field.recursion import receptive_fields, unit_box
from cnnviz.imagelab import inside
from cnnviz.imagelab.figures import receptive_field_figure
from cnnviz.imagelab.predict import crop_box, load_classifier
from cnnviz.imagelab.samples import sample_image
from cnnviz.zoo.registry import resolve


@pytest.fixture(scope="module")
def lite0():
    return inside.from_classifier(load_classifier("efficientnet_lite0", fast=False))


@pytest.fixture(scope="module")
def cat():
    return sample_image("chelsea")


def _no_hooks(model):
    return all(not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks for m in model.modules())


def test_feature_maps_are_the_layers_output(lite0, cat):
    maps = inside.feature_maps(lite0, cat, "_bn0")
    (batch,) = lite0.batch(cat)
    with torch.inference_mode():
        by_hand = lite0.model._bn0(lite0.model._conv_stem(batch))[0].numpy()
    assert maps.shape == (32, 112, 112) and np.allclose(maps, by_hand, atol=1e-5)
    means = by_hand.mean(axis=(1, 2))
    assert inside.strongest_channels(maps, 3) == sorted(range(32), key=lambda c: -means[c])[:3]
    assert _no_hooks(lite0.model)


def test_grad_cam_matches_the_formula(lite0, cat):
    result = inside.grad_cam(lite0, cat, "_blocks.15")
    assert result.label in {"tabby", "tiger cat", "Egyptian cat"} and result.target_layer == "_blocks.15"
    # Grad-CAM by hand: alpha_k = mean over (i, j) of d y_c / d A_k; L = ReLU(sum_k alpha_k A_k), scaled to 0..1.
    model = inside.private_view(lite0.model)
    (batch,) = lite0.batch(cat)
    saved = {}
    model._blocks[15].register_forward_hook(lambda _m, _i, out: saved.setdefault("A", out))
    with torch.enable_grad():
        scores = model(batch.clone().requires_grad_(True))
        (gradient,) = torch.autograd.grad(scores[0, result.class_index], saved["A"])
    alpha = gradient[0].mean(dim=(1, 2))
    cam = torch.relu((alpha[:, None, None] * saved["A"][0]).sum(0)).detach()
    cam = (cam - cam.min()) / (cam.max() - cam.min())
    assert result.class_index == int(scores[0].argmax())
    assert result.cam.shape == (7, 7) and np.allclose(result.cam, cam.numpy(), atol=1e-4)
    assert _no_hooks(lite0.model) and not any(p.requires_grad for p in lite0.model.parameters())
    overlay = inside.cam_overlay(lite0.view(cat), result.cam)
    assert overlay.size == (224, 224) and overlay.mode == "RGB"


def test_first_layer_filters(lite0):
    name, conv = inside.first_convolution(lite0.model)
    filters = inside.filter_images(conv)
    assert name == "_conv_stem" and filters.shape == (32, 3, 3, 3)
    kernel = conv.weight[5].detach().permute(1, 2, 0).numpy()
    assert np.allclose(filters[5], (kernel - kernel.min()) / (kernel.max() - kernel.min()), atol=1e-6)


def test_receptive_field_box_on_the_photo(lite0, cat):
    fields = {f.name: f for f in receptive_fields(resolve("efficientnet_lite0")[1], 224)}
    stem = fields["_conv_stem"]  # 3x3 stride 2 with TensorFlow "SAME" padding (0 before, 1 after)
    in_input, on_photo = inside.field_boxes(stem, 10, 20, cat.size, lite0.preprocessing)
    assert in_input == (40, 20, 43, 23)  # rows 2*10 .. 2*10+2, columns 2*20 .. 2*20+2 (left, top, right, bottom)
    # The chelsea photo is 451x300: resized to 384x256, the 224 crop starts at (80, 16) of the resized image.
    sx, sy = 451 / 384, 300 / 256
    assert crop_box(cat.size, lite0.preprocessing) == pytest.approx((80 * sx, 16 * sy, 304 * sx, 240 * sy))
    assert on_photo == pytest.approx(((80 + 40) * sx, (16 + 20) * sy, (80 + 43) * sx, (16 + 23) * sy))


def test_random_weights_are_labelled_and_grey_models_work(cat):
    lenet = inside.with_random_weights("lenet5")
    assert not lenet.pretrained and "random weights" in lenet.weights and lenet.categories is None
    assert lenet.view(cat).size == (32, 32) and lenet.view(cat).mode == "L"
    layers = inside.layers("lenet5")
    assert [layer.shape for layer in layers if layer.name == "features.0"] == [(6, 28, 28)]
    with pytest.raises(ValueError, match="pretrained"):
        inside.grad_cam(lenet, cat, "features.0")
    again = inside.with_random_weights("lenet5")  # seeded: every user sees the same untrained network
    assert all(torch.equal(a, b) for a, b in zip(lenet.model.parameters(), again.model.parameters(), strict=True))


@pytest.mark.parametrize("name", ["lenet5", "googlenet", "siamese_net"])
def test_layers_listed_on_meta_match_a_real_forward_pass(name):
    # The page lists layers from a meta-device pass; a real pass (eval: GoogLeNet's aux heads stay silent)
    # on the seeded model must give the same names, types and shapes.
    model = inside.with_random_weights(name)
    size = model.preprocessing.crop
    real = inside.feature_layers(inside.private_view(model.model),
                                 (torch.zeros(1, model.channels, size, size),) * model.inputs)
    assert inside.layers(name) == real and real
    assert not any(layer.name.startswith("aux") for layer in real)


def test_pretrained_layers_match_the_meta_listing(lite0):
    real = inside.feature_layers(inside.private_view(lite0.model), (torch.zeros(1, 3, 224, 224),))
    assert inside.layers("efficientnet_lite0") == real


def test_only_the_strongest_maps_are_kept(lite0, cat):
    maps = inside.feature_maps(lite0, cat, "_bn0")
    kept = inside.strongest_maps(maps, 8)
    means = maps.mean(axis=(1, 2))
    assert kept.shape == (32, 112, 112) and kept.maps.shape == (8, 112, 112)
    assert kept.channels == inside.strongest_channels(maps, 8) and np.allclose(kept.means, means)
    assert np.array_equal(kept.maps[0], maps[kept.channels[0]])


def test_effective_field_leaves_no_gradients_on_the_parameters():
    from cnnviz.analysis.receptive_field.measure import effective_rf

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3))  # parameters require grad
    with torch.no_grad():
        # Nine weights of at most 1/3 (PyTorch's bound for a fan-in of 9) cannot outweigh a bias of 4 on an input
        # of ones: every ReLU passes, so the gradient reaches the input whatever the weights (with its default
        # bias a random draw silenced unit (4, 4) one time in four).
        model[0].bias.fill_(4.0)
    image = torch.ones(1, 1, 12, 12)
    heat = effective_rf(model, "2", (image,), 4, 4)
    assert all(p.grad is None for p in model.parameters()), "back-propagation filled the weights' .grad"
    # The same gradient by plain autograd, with respect to the input only: non-zero on unit (4, 4)'s 5x5 field,
    # rows and columns 4..8, and nowhere else.
    pixels = image.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(model(pixels)[0, :, 4, 4].sum(), pixels)
    expected = expected.abs().sum(dim=(0, 1)).numpy()
    assert np.allclose(heat, expected) and (heat > 0).sum() == 25 and heat[4:9, 4:9].all()


def test_effective_field_on_the_shared_pretrained_model(lite0, cat):
    layer = "_blocks.3._depthwise_conv"  # 35-pixel field, 28x28 map
    heat = effective_field(lite0, cat, layer, 10, 10)
    fields = {f.name: f for f in receptive_fields(resolve("efficientnet_lite0")[1], 224)}
    top, left, bottom, right = unit_box(fields[layer], 10, 10, 224)
    assert heat.shape == (224, 224) and heat.max() == 1.0
    outside = heat.copy()
    outside[top:bottom, left:right] = 0
    assert not outside.any(), "the gradient reaches beyond the theoretical field"
    assert _no_hooks(lite0.model) and all(p.grad is None for p in lite0.model.parameters())
    assert lite0.model.training is False


def test_field_boxes_are_drawn_on_pixel_edges():
    # Pixel i's centre is at i in the picture, so a box over pixels 0..1 runs from -0.5 to 1.5.
    figure = receptive_field_figure(Image.new("RGB", (8, 8)), [((0, 2, 2, 5), "red", "unit")], "t")
    (box,) = [trace for trace in figure.data if trace.name == "unit"]
    assert tuple(box.x) == (-0.5, 1.5, 1.5, -0.5, -0.5) and tuple(box.y) == (1.5, 1.5, 4.5, 4.5, 1.5)


def test_random_weights_are_the_seeds_even_when_built_at_once_in_many_threads():
    from concurrent.futures import ThreadPoolExecutor

    alone = inside.with_random_weights("zfnet").model.state_dict()
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda _: inside.with_random_weights("zfnet").model.state_dict(), range(4)))
    for weights in together:
        assert all(torch.equal(weights[k], alone[k]) for k in alone)

"""Receptive fields: the recursion against the notes, hand calculations, published values and back-propagation."""

import pytest
import torch
from torch import nn

from cnnviz.analysis.receptive_field.geometry import trace_geometry
from cnnviz.analysis.receptive_field.measure import (Linearised, effective_rf, measure_module,
                                                      measured_receptive_field)
from cnnviz.analysis.receptive_field.recursion import (LayerRF, fields_of, last_stage, model_receptive_fields,
                                                        receptive_fields, unit_box)
from cnnviz.zoo.registry import architectures, resolve

CLASSIFIERS = [v.name for a in architectures().values() if a.group != "Beyond classification" for v in a.variants]
# Measured along 1000+ pixels or through 100+ layers: a few seconds each.
SLOW = {"inception_v3", "resnet101", "resnet152", "stochastic_depth_resnet152", "preact_resnet101",
        "preact_resnet152", "wide_resnet101_2", "resnext101_32x8d", "resnext101_64x4d", "densenet121",
        "densenet169", "densenet201", "densenet264", "resnet34", "preact_resnet34", "bn_inception", "inception_v4",
        "inception_resnet_v2"}


def _by_hand(layers: list[tuple[int, int]]) -> list[int]:
    """The notes' recursion written out: l_k = l_{k-1} + (f_k - 1) * prod(s_1..s_{k-1})."""
    fields, field, jump = [], 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
        fields.append(field)
    return fields


def _stack(layers: int) -> nn.Sequential:
    return nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1, device="meta") for _ in range(layers)])


def test_notes_two_and_three_stacked_3x3_layers():
    for layers, notes in ((2, 5), (3, 7)):  # "3 + 3 - 1 = 5"; three 3x3 see a 7x7 window
        fields = model_receptive_fields(_stack(layers), (torch.zeros(1, 1, 32, 32, device="meta"),))
        assert fields[-1].rf == notes


def test_alexnet_layer_by_layer_matches_the_hand_recursion():
    fields = receptive_fields(resolve("alexnet")[1])
    hand = _by_hand([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)])
    assert [f.rf for f in fields] == hand
    assert [f.jump for f in fields] == [4, 8, 8, 16, 16, 16, 16, 32]
    assert fields[0].start == (11 - 1) / 2 - 2  # padding 2 moves unit 0's centre from 5 to 3


@pytest.mark.parametrize("name, published", [("alexnet", 195), ("vgg16", 212), ("mobilenet_v1", 315),
                                             ("inception_v3", 1311)])
def test_published_receptive_fields(name, published):
    # Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019.
    assert last_stage(receptive_fields(resolve(name)[1])).rf == published


def test_branches_take_the_largest_path():
    class TwoPaths(nn.Module):
        def __init__(self):
            super().__init__()
            self.small, self.large = nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 5, padding=2)

        def forward(self, x):
            return self.small(x) + self.large(x)

    with torch.device("meta"):
        model = TwoPaths()
    fields = model_receptive_fields(model, (torch.zeros(1, 1, 16, 16, device="meta"),))
    assert [f.rf for f in fields] == [3, 5, 5]  # small, large, the join


def test_recursion_text_only_where_it_holds():
    import re

    def checked(fields):
        """Rows written as l(k-1) + (f - 1)·j(k-1), each checked against the traced field."""
        rows = [(f, re.fullmatch(r"(\d+) \+ \((\d+) − 1\)·(\d+)", f.recursion())) for f in fields]
        for f, match in rows:
            if match:
                assert int(match[1]) + (int(match[2]) - 1) * int(match[3]) == f.rf, f
        return {f.name: f.recursion() for f, match in rows if not match}

    assert checked(receptive_fields(resolve("vgg16")[1])) == {}
    assert receptive_fields(resolve("vgg16")[1])[1].recursion() == "3 + (3 − 1)·1"
    # A dilated 3x3 adds d(f - 1) + 1 = 5 pixels, not 3.
    with torch.device("meta"):
        dilated = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=2, dilation=2))
    fields = model_receptive_fields(dilated, (torch.zeros(1, 1, 16, 16, device="meta"),))
    assert fields[1].recursion() == "3 + (5 − 1)·1" and fields[1].rf == 7
    # A transposed convolution shrinks the jump and gives units different fields: no recursion from it on.
    unet = {f.name: f for f in receptive_fields(resolve("unet_small")[1])}
    transposed = [f for f in unet.values() if "Transpose" in f.kind]
    assert transposed and all(f.recursion().startswith("uneven") for f in transposed)
    # Inception v3's 1x7 / 7x1 pairs: one number per layer cannot tell it.
    assert set(checked(receptive_fields(resolve("inception_v3")[1])).values()) == {
        "union of the joined branches", "per axis: see the field"}


def test_measured_at_another_input_size():
    # At 448 pixels VGG's adaptive pool halves a 14x14 map: the last stage is avgpool, 244 pixels. The
    # measurement must use that size and layer (it used to measure features.30 at 224: 212, "DIFFERENT").
    variant = resolve("vgg11")[1]
    for size in (448, 672):
        stage = last_stage(receptive_fields(variant, size))
        measured = measured_receptive_field(variant, stage.name, input_size=size)
        assert stage.name == "avgpool" and measured.rf_hw == stage.rf_hw  # 672: 21 -> 7, windows of 3


def test_unit_box_is_the_field_clipped_to_the_image():
    fields = receptive_fields(resolve("vgg16")[1])
    assert unit_box(fields[0], 0, 0, 224) == (0, 0, 2, 2)  # pixels -1..1, the first in the padding
    stage = last_stage(fields)
    top = 15.5 + 3 * 32 - (212 - 1) / 2  # start + row * jump - (rf - 1) / 2
    assert unit_box(stage, 3, 3, 224) == (int(top), int(top), int(top) + 212, int(top) + 212)
    # Row 0 reaches 90 pixels above the image, column 6 of a 300-pixel-wide image 14 beyond its right edge.
    assert unit_box(stage, 0, 6, (224, 300)) == (0, 102, 122, 300)


def test_effective_field_of_a_linear_stack_fills_the_theoretical_box():
    model = _stack(3).to_empty(device="cpu")
    for conv in model:
        nn.init.constant_(conv.weight, 0.1)
    heat = effective_rf(model, "2", (torch.ones(1, 1, 20, 20),), 10, 10)
    fields = model_receptive_fields(model, (torch.zeros(1, 1, 20, 20),))
    rows, cols = heat.nonzero()
    top, left, bottom, right = unit_box(fields[-1], 10, 10, 20)
    assert (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1) == (top, left, bottom, right) == (7, 7, 14, 14)


def test_effective_field_of_a_random_network_stays_inside_the_theoretical_box():
    torch.manual_seed(0)
    model = resolve("resnet18")[1].build().eval()
    fields = {f.name: f for f in receptive_fields(resolve("resnet18")[1])}
    heat = effective_rf(model, "layer2.0.conv2", (torch.randn(1, 3, 224, 224),), 14, 14)
    rows, cols = heat.nonzero()
    top, left, bottom, right = unit_box(fields["layer2.0.conv2"], 14, 14, 224)
    assert top <= rows.min() and rows.max() < bottom and left <= cols.min() and cols.max() < right
    assert heat.shape == (224, 224) and heat.max() > 0


def test_measuring_both_axes_of_a_square_model_gives_the_same_numbers():
    variant = resolve("resnet18")[1]
    mirrored, both = measured_receptive_field(variant), measured_receptive_field(variant, both_axes=True)
    assert mirrored.mirrored and not both.mirrored
    assert mirrored.rf_hw == both.rf_hw and mirrored.first_hw == both.first_hw


def test_an_intermediate_layer_of_a_branching_model():
    variant = resolve("googlenet")[1]
    field = {f.name: f for f in receptive_fields(variant)}["inception3a.cat"]
    measured = measured_receptive_field(variant, "inception3a.cat")
    assert measured.rf_hw == field.rf_hw


def test_fields_step_unevenly_after_a_transposed_convolution():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(1, 1, 3, stride=2, padding=1), nn.ConvTranspose2d(1, 1, 2, stride=2),
                              nn.Conv2d(1, 1, 3, padding=1))
    fields = model_receptive_fields(model, (torch.zeros(1, 1, 32, 32, device="meta"),))
    # Units 2i and 2i+1 of the transposed convolution read the same input unit; the 3x3 after it reads two
    # of them: 3 + 1 * 2 = 5 pixels for every unit, in steps of 2 pixels every second unit.
    assert fields[-1].rf == 5 and not fields[-1].uniform
    assert measure_module(model, [(1, 32, 32)], fields[-1]).rf_hw == (5, 5)


@pytest.mark.parametrize("name", ["conv_autoencoder", "unet_small", "siamese_net"])
def test_models_beyond_classification(name):
    variant = resolve(name)[1]
    assert measured_receptive_field(variant).rf_hw == last_stage(receptive_fields(variant)).rf_hw


# Inputs long along the width, so that the measured units' fields lie inside the image; the height is one the
# model accepts (U-Net pools four times, the autoencoder's 7x7 code needs 28 rows; the Siamese network's
# fully connected head, 105).
BEYOND_INPUTS = {"conv_autoencoder": (28, 128), "unet_small": (16, 320), "siamese_net": (105, 105)}


def _measured_units(model, inputs, layer: str, units) -> dict[int, tuple[int, int]]:
    """First and last input column with non-zero gradient, per unit (middle row) of ``layer``: back-propagated
    through the linearised model, whose every path carries a positive product (see ``measure``)."""
    inputs = tuple(x.clone().requires_grad_(True) for x in inputs)
    with Linearised():
        output = trace_geometry(model, inputs, stop_at=layer, grad=True).captured
    width, row, found = inputs[0].shape[-1], output.shape[-2] // 2, {}
    for unit in units:
        (gradient,) = torch.autograd.grad(output[..., row, unit].sum(), inputs[0], retain_graph=True)
        seen = gradient.abs().sum(dim=(0, 1, 2)).nonzero().flatten()
        first, last = int(seen[0]), int(seen[-1])
        assert 0 < first and last < width - 1, f"{layer} unit {unit}: the field touches the edge, widen the input"
        found[unit] = first, last
    return found


@pytest.mark.parametrize("name", ["conv_autoencoder", pytest.param("unet_small", marks=pytest.mark.slow),
                                  "siamese_net"])
def test_start_jump_and_field_of_every_layer_by_back_propagation(name):
    """Every layer's start, jump and field against the gradient, along the width, including after transposed
    convolutions: there neighbouring units' fields step unevenly (units 2i and 2i + 1 of a stride-2 up-convolution
    read one input unit), so the pattern repeats every ``period`` units, the product of the strides undone."""
    variant = resolve(name)[1]
    model = variant.build_on_meta().eval()
    height, width = BEYOND_INPUTS[name]
    inputs = tuple(torch.ones((1, x.shape[1], height, width), dtype=torch.float64) for x in variant.example_inputs())
    trace = trace_geometry(model, tuple(torch.zeros(x.shape, device="meta") for x in inputs))
    rows = fields_of(trace)
    by_name = {row.name: row for row in rows}
    nodes = {node.index: node for node in trace.nodes}

    def row_before(name: str) -> LayerRF:
        """The field-changing call that feeds ``name``, past activations (these models have one input per layer)."""
        node = nodes[next(n for n in trace.nodes if n.name == name).inputs[0]]
        while node.name not in by_name:
            node = nodes[node.inputs[0]]
        return by_name[node.name]

    centre_of_unit_0, coarsest, transposed = {}, 1.0, 0
    for row in rows:
        coarsest = max(coarsest, row.jump)
        period = round(coarsest / row.jump) if not row.uniform else 1
        first_unit = row.output_hw[1] // 2 // period * period  # a multiple of the period, mid-map
        measured = _measured_units(model, inputs, row.name, range(first_unit, first_unit + period + 1))
        centres = {u: (lo + hi) / 2 for u, (lo, hi) in measured.items()}
        sizes = [hi - lo + 1 for u, (lo, hi) in measured.items() if u < first_unit + period]
        assert max(sizes) == row.rf_hw[1], row.name  # the widest unit's field
        # One period on, every unit's field has moved by period * jump pixels.
        assert centres[first_unit + period] - centres[first_unit] == period * row.jump_hw[1], row.name
        # Unit 0 lies one whole number of periods before the first measured unit: its field is where that one's
        # is, moved back. Its edge may lie in the padding, out of the gradient's reach, but its centre follows.
        centre_of_unit_0[row.name] = centres[first_unit] - first_unit * row.jump_hw[1]
        if row.uniform:
            assert centre_of_unit_0[row.name] == row.start_hw[1], row.name
            assert measured[first_unit][0] == row.first_pixel(first_unit, 1), row.name
        elif "Transpose" in row.kind:
            # Unit 0 of each of these up-convolutions reads its input's unit 0 (and, for the autoencoder's
            # stride-1 7x7, units -6..0 of an evenly stepping map), so the step from the input's start to its
            # own is exact even where the input's fields step unevenly.
            before = row_before(row.name)
            assert row.start_hw[1] - before.start_hw[1] == \
                centre_of_unit_0[row.name] - centre_of_unit_0[before.name], row.name
            transposed += 1
        # The joins and convolutions after an up-convolution are left out of the start check: there
        # start + u * jump only approximates fields that step unevenly (U-Net's output unit 0 is centred on
        # pixel -0.5, the start says 7.5); their fields and jumps are checked above.
    assert transposed == {"conv_autoencoder": 3, "unet_small": 4, "siamese_net": 0}[name]


def test_a_stack_measured_by_gradient():
    model = _stack(4)
    fields = model_receptive_fields(model, (torch.zeros(1, 1, 32, 32, device="meta"),))
    assert measure_module(model, [(1, 32, 32)], fields[-1]).rf_hw == (9, 9)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in CLASSIFIERS])
def test_recursion_equals_back_propagation(name):
    variant = resolve(name)[1]
    stage = last_stage(receptive_fields(variant))
    measured = measured_receptive_field(variant)
    assert measured.layer == stage.name
    assert measured.rf_hw == stage.rf_hw
    # Where the field starts checks the jump and the start (padding) too, not only the width.
    assert measured.first_hw == tuple(round(stage.first_pixel(u, axis)) for axis, u in enumerate(measured.unit_hw))


def test_every_registry_classifier_is_tested():
    assert len(CLASSIFIERS) > 40 and SLOW <= set(CLASSIFIERS)

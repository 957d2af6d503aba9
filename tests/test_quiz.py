"""The "Check yourself" quiz: every answer it can ask equals what PyTorch measures on the model's own layer."""

import dataclasses

import pytest
import torch
from torch import nn

from cnnviz.analysis.receptive_field.recursion import receptive_fields
from cnnviz.analysis.summary import summary_of
from cnnviz.lectures import quiz, quiz_layers
from cnnviz.zoo.registry import architectures

VARIANTS = [v for arch in architectures().values() for v in arch.variants]


def _asked(name: str):
    variant = next(v for v in VARIANTS if v.name == name)
    summary = summary_of(name)
    fields = receptive_fields(variant)
    return summary, fields, quiz_layers.questions(summary, fields)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_every_quiz_answer_equals_pytorch(variant):
    summary, fields, asked = _asked(variant.name)
    assert asked, "every model has a square convolution or pooling layer to ask about"
    default = quiz_layers.default_layer(asked)
    assert default in asked
    if len(asked) > 2:
        assert default != next(iter(asked)), "the default is a mid-network layer, not the first"
        assert not asked[default].pooling
    rows = {r.name: r for r in summary.layers}
    field_rows = {f.name: f for f in fields}
    for name, question in asked.items():
        module = quiz_layers.module_of(summary, name)
        row = rows[name]
        with torch.no_grad():
            out = module(torch.zeros((1, *row.input_shape), device="meta"))
        assert question.output_size == out.shape[-1], name
        assert question.activations == out[0].numel(), name
        assert question.params == sum(p.numel() for p in module.parameters()), name
        assert question.weight_bytes == sum(p.numel() * p.element_size() for p in module.parameters()), name
        assert question.macs == quiz_layers.measure_module(module, row.input_shape)[2], name  # PyTorch's FLOP counter
        assert quiz_layers.measure(question) == quiz_layers.measure_module(module, row.input_shape), name
        if question.has_field:
            assert question.field_and_jump == (field_rows[name].rf, field_rows[name].jump), name


def test_googlenet_pools_round_up_like_torchvision():
    _, _, asked = _asked("googlenet")
    sizes = [asked[name].output_size for name in ("maxpool1", "maxpool2", "maxpool3")]
    assert sizes == [56, 28, 14]  # ceil_mode=True; a floor would give 55, 27, 13
    assert "\\left\\lceil" in asked["maxpool1"].worked()["output"]
    floor_answer = quiz.LayerQuestion(112, 64, 64, 3, 2, 0, pooling=True).output_size
    assert floor_answer == 55 and "ceil_mode=True" in asked["maxpool1"].why_wrong("output", floor_answer)


def test_squeezenet_pool_after_fire4_is_27():
    _, _, asked = _asked("squeezenet1_0")
    question = asked["features.6"]
    assert question.ceil_mode and question.output_size == 27 == quiz_layers.measure(question)[0]


def test_resnet_conv1_has_no_bias():
    _, _, asked = _asked("resnet50")
    question = asked["conv1"]
    assert question.params == 7 * 7 * 3 * 64 == 9_408  # He et al. 2016, Table 1: conv1 7x7, 64, stride 2
    assert "no bias" in question.worked()["params"]
    assert "no bias" in question.why_wrong("params", 9_472)


@pytest.mark.parametrize("name", ["densenet121", "mobilenet_v1", "inception_v3", "efficientnet_lite0"])
def test_layers_without_bias_are_counted_without_one(name):
    _, _, asked = _asked(name)
    unbiased = [q for q in asked.values() if not q.pooling and not q.bias]
    assert unbiased
    for question in unbiased:
        assert question.params == arithmetic_params_without_bias(question)


def arithmetic_params_without_bias(question):
    return question.filters * question.kernel ** 2 * question.in_channels // question.groups


def test_efficientnet_lite_has_square_convolutions_to_ask_about():
    _, _, asked = _asked("efficientnet_lite0")
    stem = asked["_conv_stem"]  # TF "same" padding: 0 on the left, 1 on the right
    assert (stem.padding, stem.pad_after, stem.output_size) == (0, 1, 112)
    assert "P_l + P_r" in stem.worked()["output"]


def test_field_and_jump_follow_the_notes_recursion():
    _, _, asked = _asked("vgg16")
    question = asked["features.5"]  # conv2_1, after conv1_1, conv1_2 (3x3/1) and pool1 (2x2/2)
    assert (question.field_in, question.jump_in) == (1 + 2 + 2 + 1, 2)
    assert question.field_and_jump == (6 + 2 * 2, 2)
    assert "6 + (3 - 1)" in question.worked()["field"]
    assert "jump" in question.why_wrong("field", 6 + 2)


def test_slips_are_explained():
    question = quiz.LayerQuestion(56, 128, 128, 3, 1, 1, groups=32, bias=False)
    assert "FLOPs" in question.why_wrong("macs", 2 * question.macs)
    assert "groups" in question.why_wrong("params", 3 * 3 * 128 * 128)
    assert "4 bytes" in question.why_wrong("weight_bytes", question.params)
    assert question.why_wrong("params", 12345) is None


def test_two_slips_that_give_the_same_number_are_both_said():
    """With 2 groups, forgetting them doubles the MACs, exactly as counting FLOPs does."""
    question = quiz.LayerQuestion(13, 384, 384, 3, 1, 1, groups=2)  # AlexNet's conv4
    doubled = 2 * question.macs
    assert dataclasses.replace(question, groups=1).macs == doubled
    said = question.why_wrong("macs", doubled)
    assert said.startswith("Either slip gives this number.") and "FLOPs" in said and "C/g = 192" in said
    grouped = quiz.LayerQuestion(56, 128, 128, 3, 1, 1, groups=32, bias=False)
    assert grouped.why_wrong("macs", 2 * grouped.macs) == \
        "That is FLOPs: one MAC is a multiplication and an addition, 2 FLOPs."


def test_new_numbers_keep_the_layers_kind_and_agree_with_torch():
    _, _, asked = _asked("googlenet")
    for seed in range(1, 30):
        for original in (asked["maxpool1"], asked["conv1.conv"]):
            question = quiz_layers.new_numbers(original, seed)
            assert (question.pooling, question.bias, question.ceil_mode) == \
                (original.pooling, original.bias, original.ceil_mode)
            assert (question.output_size, question.params, question.macs) == quiz_layers.measure(question)


def test_dilated_layer_against_torch():
    question = quiz.LayerQuestion(32, 16, 8, 3, 1, 2, dilation=2, bias=False, field_in=5, jump_in=2)
    layer = nn.Conv2d(16, 8, 3, 1, 2, dilation=2, bias=False)
    assert quiz_layers.measure(question) == quiz_layers.measure_module(layer, (16, 32, 32))
    assert question.field_and_jump == (5 + (2 * (3 - 1) + 1 - 1) * 2, 2)  # F_eff = D(F - 1) + 1 = 5


def test_quiz_on_the_alexnet_page_explains_a_wrong_answer():
    from tests.conftest import open_link

    app = open_link("alexnet", tab="quiz")
    layer = next(s for s in app.selectbox if s.label == "Ask about layer")
    assert layer.value == "features.6" == quiz_layers.default_layer(quiz_layers.questions(summary_of("alexnet")))  # not conv1
    question = quiz_layers.questions(summary_of("alexnet"))["features.6"]  # conv3: 192 -> 384 channels, 3x3, 13x13
    assert question.bias and (question.in_channels, question.filters, question.output_size) == (192, 384, 13)
    next(n for n in app.number_input if n.label == "Parameters").set_value(question.params - question.filters)
    next(b for b in app.button if b.label == "Check").click().run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert any(f"the answer is {question.params:,}" in e for e in errors), errors
    assert any("bias" in c.value for c in app.caption)
    assert any(question.worked()["params"] in latex.value for latex in app.latex)

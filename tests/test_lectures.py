"""The lecture content: quiz answers, the notes' numbers, paper vs implementation, the layer walk."""

import random

import pytest
import torch
from torch import nn

from cnnviz.analysis.graph import block_graph
from cnnviz.analysis.summary import summarize
from cnnviz.lectures.key_ideas import key_facts
from cnnviz.lectures.notes_check import CLAIMS
from cnnviz.lectures.paper_vs_impl import departures_for
from cnnviz.lectures.quiz import LayerQuestion, from_layer, measure, new_numbers
from cnnviz.lectures.story import lecture
from cnnviz.lectures.walk import layer_walk
from cnnviz.zoo.registry import architectures, resolve


def test_quiz_formulas_agree_with_torch_on_random_layers():
    rng = random.Random(0)
    for seed in range(40):
        question = new_numbers(LayerQuestion(32, 3, 8, 3, 1, 1, pooling=rng.random() < 0.3), seed)
        assert question.divides_evenly
        assert (question.output_size, question.params, question.macs) == measure(question)


def test_quiz_rounds_down_like_torch_when_division_is_not_whole():
    question = LayerQuestion(224, 3, 96, 11, 4, 0)  # the paper's 224: (224 - 11) / 4 + 1 = 54.25
    assert not question.divides_evenly
    assert question.output_size == measure(question)[0] == 54


def test_quiz_on_alexnet_conv1_matches_the_notes():
    row = summarize(resolve("alexnet_paper")[1]).layers[0]
    question = from_layer(row)
    assert (question.output_size, question.params, question.macs) == (55, 34_944, 105_415_200)
    assert "34{,}944" in question.worked()["params"]


def test_notes_walk_of_alexnet_is_reproduced():
    """CS231n's list: CONV1 55x55x96, POOL1 27x27x96, CONV2 27x27x256, POOL2 13x13x256, CONV3-5 13x13x(384,
    384, 256), POOL3 6x6x256, FC6-8 4096, 4096, 1000 (NORM layers sit before the pools in the paper model)."""
    steps = [s for s in layer_walk(summarize(resolve("alexnet_paper")[1])) if not s.label.startswith("NORM")]
    expected = ["55x55x96", "27x27x96", "27x27x256", "13x13x256", "13x13x384", "13x13x384", "13x13x256",
                "6x6x256", "4096", "4096", "1000"]
    assert [s.output for s in steps] == expected
    assert [s.label for s in steps][:3] == ["CONV1", "MAX POOL1", "CONV2"] and steps[-1].label == "FC8"


WRONG = {"alexnet-kernel", "alexnet-memory", "alexnet-conv1-params", "vgg16-memory", "vgg16-activations",
         "googlenet-params", "googlenet-vs-alexnet", "googlenet-naive-macs", "inception-v3-drop"}


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.key)
def test_notes_claims_are_judged_by_computation(claim):
    assert claim.correct == (claim.key not in WRONG)
    assert "{" not in claim.explanation


def test_notes_claims_against_hand_formulas():
    by_key = {c.key: c for c in CLAIMS}
    assert by_key["alexnet-memory"].computed == pytest.approx(60_965_224 * 4 / 2**20)
    assert by_key["vgg16-memory"].computed == pytest.approx(138_357_544 * 4 / 2**20)
    assert by_key["googlenet-naive-macs"].computed == 5 * 5 * 64 * 64
    assert by_key["googlenet-reduced-weights"].computed == 64 * 32 + 32 + 5 * 5 * 32 * 64 + 64
    # CS231n's per-layer VGG-16 memory list: 224²·3 + 2·224²·64 + 112²·64 + 2·112²·128 + 56²·128 + ...
    sizes = [(224, 3), (224, 64), (224, 64), (112, 64), (112, 128), (112, 128), (56, 128)] + \
        [(56, 256)] * 3 + [(28, 256)] + [(28, 512)] * 3 + [(14, 512)] * 4 + [(7, 512)]
    assert by_key["vgg16-activations"].computed == sum(s * s * c for s, c in sizes) + 4096 + 4096 + 1000


def test_resnet_v1_matches_table_ii_and_v15_costs_more():
    (departure,) = departures_for("resnet50")
    v15, v1 = departure.build_implementation(), departure.build_paper()
    assert v1.total_params == v15.total_params
    assert round(v1.total_macs / 1e9, 2) == 3.86  # the slides' TABLE II (original ResNet-50)
    assert v15.total_macs > v1.total_macs


def test_lenet_sparse_c3_has_the_papers_1516_parameters():
    (departure,) = departures_for("lenet5")
    full, sparse = departure.build_implementation(), departure.build_paper()
    c3_full = 16 * (6 * 25 + 1)
    c3_sparse = 6 * (3 * 25 + 1) + 9 * (4 * 25 + 1) + 1 * (6 * 25 + 1)
    assert c3_sparse == 1516
    assert full.total_params - sparse.total_params == c3_full - c3_sparse


def test_googlenet_paper_version_has_5x5_and_no_batch_norm():
    (departure,) = departures_for("googlenet")
    paper = departure.build_paper()
    kernels = {r.kernel for r in paper.layers if r.type == "Conv2d"}
    assert "5" in kernels and not any(r.type == "BatchNorm2d" for r in paper.layers)
    branch = nn.Conv2d(16, 32, 5, padding=2, bias=True).to("meta")
    out = branch(torch.zeros(1, 16, 28, 28, device="meta"))
    ours = [r for r in paper.layers if r.name == "inception3a.branch3.1.conv"][0]
    assert ours.macs == out[0].numel() * 16 * 25


@pytest.mark.parametrize("key", architectures(), ids=str)
def test_every_architecture_has_a_lecture_with_valid_blocks(key):
    arch = architectures()[key]
    notes = lecture(key)
    assert notes is not None and len(notes.story.split()) > 40
    assert set(notes.variants) <= set(arch.variant_names)
    for variant_name, block in notes.key_block.items():
        summary = summarize(arch.variant(variant_name))
        assert block in {r.block for r in summary.layers}
        assert "block output" in block_graph(summary, block).source


def test_key_facts_are_computed_from_the_model():
    facts = dict(key_facts("densenet121", summarize(resolve("densenet121")[1])))
    assert facts["Channels into each layer of dense block 1"] == "64 → 96 → 128 → 160 → 192 → 224"
    facts = dict(key_facts("alexnet", summarize(resolve("alexnet_paper")[1])))
    conv2 = facts["features.4: 2 groups (one per GPU)"]
    assert f"{(5 * 5 * 48 + 1) * 256:,} parameters" in conv2 and f"{(5 * 5 * 96 + 1) * 256:,}" in conv2

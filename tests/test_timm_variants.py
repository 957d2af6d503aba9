"""Inception v4 and Inception-ResNet v2, built by timm on the meta device, as variants of the Inception v3 page."""

import socket

import pytest
import timm
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.analysis.graph import blocks, layer_graph
from cnnviz.analysis.summary import block_totals, summary_of
from cnnviz.zoo.registry import resolve

TIMM = ["inception_v4", "inception_resnet_v2"]


@pytest.fixture(scope="module")
def summaries():
    return {name: summary_of(name) for name in TIMM}


def test_they_are_variants_of_the_inception_v3_page_at_299_pixels():
    for name in TIMM:
        arch, variant = resolve(name)
        assert arch.key == "inception_v3" and variant.input_size == 299


def test_they_build_without_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a registry build tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    for name in TIMM:
        assert all(p.is_meta for p in resolve(name)[1].build_on_meta().parameters())


@pytest.mark.parametrize("name,expected", [("inception_v4", 42_679_816), ("inception_resnet_v2", 55_843_464)])
def test_parameters_equal_timms_own_model(name, expected, summaries):
    with torch.device("meta"):
        reference = timm.create_model(name, pretrained=False)
    assert summaries[name].total_params == sum(p.numel() for p in reference.parameters()) == expected


@pytest.mark.parametrize("name", TIMM)
def test_macs_equal_torch_flop_counter_at_299(name, summaries):
    """FlopCounterMode counts 2 FLOPs per multiply-add of every convolution and matmul."""
    variant = resolve(name)[1]
    model = variant.build_on_meta().eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 299, 299, device="meta"))
    assert summaries[name].total_macs == counter.get_total_flops() // 2


@pytest.mark.parametrize("name", TIMM)
def test_every_batch_norm_has_its_row_and_its_block_counts_it(name, summaries):
    # timm fuses batch norm and ReLU into one BatchNormAct2d; its weights must not fall outside the layers.
    summary = summaries[name]
    model = resolve(name)[1].build_on_meta()
    norms = [n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    rows = {r.name for r in summary.layers}
    assert norms and set(norms) <= rows
    assert "(parameters outside layers)" not in rows
    first = next(b for b in block_totals(summary) if b == summary.layers[0].block)
    assert block_totals(summary)[first]["params"] == sum(p.numel() for p in model.get_submodule(first).parameters())


@pytest.mark.parametrize("name,kinds", [
    ("inception_v4", {"Mixed3a", "Mixed4a", "Mixed5a", "InceptionA", "ReductionA", "InceptionB", "ReductionB",
                      "InceptionC"}),
    ("inception_resnet_v2", {"Mixed_5b", "Block35", "Mixed_6a", "Block17", "Mixed_7a", "Block8"})])
def test_the_graph_folds_timms_inception_blocks(name, kinds, summaries):
    summary = summaries[name]
    assert kinds <= {n.block_kind for n in summary.nodes if n.block in blocks(summary)}
    folded, unfolded = layer_graph(summary).source, layer_graph(summary, unfold=True).source
    assert all(kind in folded for kind in kinds), "each folded block is labelled with its kind"
    inside = [n.name for n in summary.nodes if n.block_kind in kinds and n.module is not None]
    assert inside and not any(f'"{layer}"' in folded for layer in inside)
    assert all(f'"{layer}"' in unfolded for layer in inside)


def test_inception_resnet_blocks_add_a_shortcut(summaries):
    summary = summaries["inception_resnet_v2"]
    joins = {n.block_kind: n.kind for n in summary.nodes if n.module is None and n.kind in ("add", "__add__")}
    assert {"Block35", "Block17", "Block8"} <= set(joins)


@pytest.mark.slow
def test_the_inception_v3_page_switches_to_each_variant():
    from tests.conftest import open_page
    from tests.test_app import assert_walk_graph

    app = open_page("pages/inception_v3.py")
    for name in ("bn_inception", *TIMM):
        app.selectbox(key="inception_v3_variant").set_value(name).run()
        assert not app.exception, app.exception
        params = summary_of(name).total_params
        assert any(f"{params:,} parameters" in m.help for m in app.metric if m.help)
        assert_walk_graph(app)

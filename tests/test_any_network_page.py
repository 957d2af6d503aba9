"""The "Your network" page: timm models by name from a link, ONNX uploads, and every bad input as one line while
the page keeps working."""

import pytest

from cnnviz.any_network import onnx_file
from cnnviz.format import count
from tests.any_network_files import TINY_PARAMS, tiny_graph, tiny_macs, with_einsum, with_external_weights
from tests.conftest import open_link

PAGE = "your-network"


def _still_drawn(app) -> None:
    assert not app.exception, app.exception
    assert app.title[0].value == "Your network"


def _metrics(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def _timm_counts(name: str, size: int) -> tuple[int, int]:
    """Parameters and MACs of timm's own model at ``size`` pixels: its parameters added up, and torch's FLOP
    counter (2 FLOPs per multiply-accumulate) on a forward pass on meta."""
    import timm
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = timm.create_model(name, pretrained=False).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size, device="meta"))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


def test_a_link_names_the_model_and_the_size():
    app = open_link(PAGE, model="resnet18d", size="160")
    _still_drawn(app)
    assert app.selectbox(key="your_network_model").value == "resnet18d"
    assert app.number_input(key="your_network_resnet18d_size").value == 160
    params, macs = _timm_counts("resnet18d", 160)
    cards = {metric.label: metric for metric in app.metric}
    assert cards["Parameters"].value == count(params) and cards["Parameters"].help.startswith(f"{params:,} parameters")
    assert cards["MACs per image"].value == count(macs) and cards["MACs per image"].help.startswith(f"{macs:,} ")
    assert not app.error


@pytest.mark.parametrize("tab", ["graph", "cost", "rf", "classics"])
def test_every_tab_draws(tab):
    app = open_link(PAGE, model="regnetx_002", tab=tab)
    _still_drawn(app)
    assert not app.error and not app.warning


def test_an_unknown_name_in_a_link_suggests_the_closest():
    app = open_link(PAGE, model="convnext_tiy")
    _still_drawn(app)
    assert [e.value for e in app.error] == ["timm has no model 'convnext_tiy'; closest: convnext_tiny, "
                                            "convnextv2_tiny, convnext_tiny_hnf"]
    assert app.selectbox(key="your_network_model").value == "convnext_tiny" and _metrics(app)


def _upload(name: str, data: bytes):
    app = open_link(PAGE, source="onnx")
    assert [i.value for i in app.info] and "cannot travel in a link" in app.caption[-1].value
    app.file_uploader[0].upload(name, data).run()
    _still_drawn(app)
    return app


def test_an_uploaded_file_is_counted_and_kept_in_the_session():
    data = tiny_graph([1, 3, 32, 32]).SerializeToString()
    app = _upload("tiny.onnx", data)
    assert _metrics(app)["Parameters"] == f"{TINY_PARAMS:,}" and not app.error
    kept = app.session_state["your_network_onnx"]
    assert (kept.name, kept.data) == ("tiny.onnx", data)


@pytest.mark.parametrize("data, message", [
    (b"GIF89a a picture, not a model", "bad.onnx: this is not an ONNX file"),
    (tiny_graph([1, 3, 32, 32]).SerializeToString()[:200], "bad.onnx: the file is damaged or cut short"),
    (with_external_weights(), "bad.onnx: the model keeps its weights in external data files (w); only "
                              "self-contained ONNX files are read"),
])
def test_a_bad_file_is_one_line(data, message):
    app = _upload("bad.onnx", data)
    assert len(app.error) == 1 and app.error[0].value.startswith(message)
    assert not app.metric


def test_a_file_over_the_limit_is_one_line(monkeypatch):
    monkeypatch.setattr(onnx_file, "MAX_BYTES", 1000)
    app = _upload("big.onnx", tiny_graph([1, 3, 32, 32]).SerializeToString() + b"\0" * 1000)
    assert [e.value for e in app.error] == ["big.onnx: the file is 0.0 MiB; the limit is 0 MiB"]


def test_an_open_input_size_asks_for_one():
    app = _upload("open.onnx", tiny_graph(["N", 3, "H", "W"]).SerializeToString())
    assert "give an input size" in app.info[0].value and not app.error
    size = app.number_input(key="your_network_onnx_size")
    assert size.value == 224
    size.set_value(64).run()
    _still_drawn(app)
    # The notes' formula for the tiny graph's convolution and classifier, at the size given.
    macs = {metric.label: metric for metric in app.metric}["MACs per image"]
    assert macs.value == count(tiny_macs(64)) and macs.help.startswith(f"{tiny_macs(64):,} ")


def test_uncounted_operators_are_flagged():
    app = _upload("einsum.onnx", with_einsum())
    assert len(app.warning) == 1 and "Operators not counted: Einsum" in app.warning[0].value
    table = app.dataframe[0].value
    assert table.loc[table["type"] == "Einsum", "note"].tolist() == ["not counted (0 MACs)"]

"""Every crafted upload of the security review, made here (``tests.hostile_files``) and sent through the path the
app uses: a limited worker (``cnnviz.sandbox``) behind ``cnnviz.uploads``. Each test asserts the outcome (one line
for the user), a time bound and the worker's peak memory above its start."""

from __future__ import annotations

import time

import pytest

from cnnviz import sandbox, uploads
from cnnviz.any_network import NetworkError, onnx_file
from cnnviz.imagelab.images import DECODE_BUDGET, ImageError, decode_bytes, decode_image, jpeg_scans
from tests import hostile_files as hostile
from tests.any_network_files import tiny_graph

MB = 2**20
EXTERNAL = [hostile.external_in_function, hostile.external_in_sparse_indices, hostile.external_in_tensors_attribute,
            hostile.external_in_function_subgraph, hostile.external_in_training_info]


@pytest.fixture(scope="module", autouse=True)
def warm_sandbox():
    sandbox.start()  # its imports (seconds) are not the jobs' time
    sandbox.measure("photo", hostile.progressive_jpeg(), uploads.PHOTO_LIMITS, shortest_side=None, longest_side=None)


def _onnx(data: bytes, limits=uploads.ONNX_LIMITS, input_size=None) -> sandbox.Outcome:
    return sandbox.measure("analyse_onnx", data, limits, name="hostile.onnx", input_size=input_size)


def _photo(data: bytes) -> sandbox.Outcome:
    return sandbox.measure("photo", data, uploads.PHOTO_LIMITS, shortest_side=None, longest_side=1000)


@pytest.mark.parametrize("build", EXTERNAL, ids=lambda build: build.__name__)
def test_external_data_is_refused_wherever_the_tensor_lives(build):
    """Functions, sparse indices, TENSORS attributes, a function's nested graph, training graphs: each pointed at
    app.py (the attack read the server's source a byte at a time). Refused before the checker or shape inference
    could open the path."""
    with pytest.raises(NetworkError, match="external data"):
        onnx_file.parse(onnx_file.OnnxFile("x.onnx", build("app.py")))


def test_an_external_function_constant_is_refused_in_the_worker_as_one_line():
    outcome = _onnx(hostile.external_in_function("app.py", offset=3))
    assert isinstance(outcome.error, NetworkError) and "external data" in str(outcome.error)
    assert outcome.seconds < 10 and outcome.added_mb < 100


def test_the_worker_works_in_an_empty_folder_of_its_own():
    """A relative path in a file (if one got past the checks) names nothing of the app's: the worker's working
    directory is a fresh, empty scratch folder, not the server's."""
    import os

    folder, entries = sandbox.run("working_directory", b"", uploads.PHOTO_LIMITS)
    assert folder != os.getcwd() and "cnnviz-upload-" in folder
    assert entries == []


@pytest.mark.parametrize("build, words", [(lambda: hostile.resize_by(1e6), "wider than"),
                                          (lambda: hostile.transposed_output_padding(2**40), "wider than"),
                                          (lambda: hostile.resize_by(0), "no elements")],
                         ids=["resize-by-a-million", "output-padding-2^40", "resize-by-0"])
def test_enormous_or_empty_maps_are_refused_before_the_walk(build, words):
    """Before: the receptive-field walk visited every unit of a 16-million-pixel map (5 GB and growing after
    60 s), or divided by zero. Now: one line, at once."""
    outcome = _onnx(build())
    assert isinstance(outcome.error, NetworkError) and words in str(outcome.error), outcome.error
    assert outcome.seconds < 15
    assert outcome.added_mb < 150


def test_a_protobuf_bomb_is_refused_from_a_scan_of_its_bytes():
    """Five million empty nodes in 10 MB took 2 GB to parse; the scan counts them without building them."""
    data = hostile.empty_nodes(5_000_000)
    outcome = _onnx(data)
    assert isinstance(outcome.error, NetworkError) and "protobuf messages" in str(outcome.error)
    assert outcome.seconds < 20
    assert outcome.added_mb < 150  # the file itself is 10 MB


def test_the_scan_counts_what_the_parser_builds():
    """The tiny graph's messages, counted by the scan, against protobuf's own walk of the parsed model."""
    from cnnviz.any_network.protobuf_scan import count_messages
    import onnx

    model = tiny_graph([1, 3, 32, 32])

    def walk(message) -> int:
        total = 0
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            for item in (value if field.is_repeated else [value]):
                total += 1 + walk(item)
        return total

    assert count_messages(model.SerializeToString(), onnx.ModelProto.DESCRIPTOR, 10**6) == walk(model)


def test_a_file_over_the_memory_limit_is_one_line(monkeypatch):
    """The worker's address space is capped: a job that needs more ends with "needs more than N MB", and the
    server's own memory is untouched."""
    import torchvision

    from tests.any_network_files import exported

    data = exported(torchvision.models.resnet18(), 64)  # 47 MB of weights: parsing copies them
    monkeypatch.setattr(uploads, "ONNX_LIMITS", sandbox.Limits(memory_mb=40, cpu_s=20, wall_s=30))
    with pytest.raises(NetworkError, match="needs more than 40 MB"):
        uploads.analyse_onnx(onnx_file.OnnxFile("resnet18.onnx", data), None)


def test_a_file_over_the_time_limit_is_one_line(monkeypatch):
    import torchvision

    from tests.any_network_files import exported

    data = exported(torchvision.models.resnet18(), 64)
    monkeypatch.setattr(uploads, "ONNX_LIMITS", sandbox.Limits(memory_mb=1024, cpu_s=1, wall_s=0.05))
    started = time.monotonic()
    with pytest.raises(NetworkError, match="needs more than 1 s"):
        uploads.analyse_onnx(onnx_file.OnnxFile("resnet18.onnx", data), None)
    assert time.monotonic() - started < 5


def test_a_normal_onnx_file_is_analysed_in_the_worker():
    import torchvision

    from tests.any_network_files import exported

    network = uploads.analyse_onnx(onnx_file.OnnxFile("r18.onnx", exported(torchvision.models.resnet18(), 64)), None)
    assert network.summary.total_params == sum(p.numel() for p in torchvision.models.resnet18().parameters())


def test_the_uploaded_classifier_predicts_in_the_worker():
    """ONNX Runtime builds its session from the checked file in the worker, not in the server."""
    import torch

    from cnnviz.any_network.onnx_file import OnnxFile
    from cnnviz.imagelab.samples import sample_image
    from tests.any_network_files import exported

    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                torch.nn.Linear(4, 1000))
    file = OnnxFile("tiny.onnx", exported(model, 32))
    assert uploads.classifier_input_size(file) == 32
    predictions = uploads.onnx_predictions(file, sample_image("coffee", 300), 5)
    assert len(predictions) == 5 and predictions[0].probability >= predictions[-1].probability


# Photos -------------------------------------------------------------------------------------------------------

def test_a_16_bit_grey_png_of_88_megapixels_decodes_in_bounded_memory():
    """168 KB that peaked at 2.2 GB (float64 copies of every pixel) now costs its decode buffer (176 MB) and a
    reduced copy."""
    outcome = _photo(hostile.grey16_png(9400))
    assert outcome.error is None and outcome.value.size == (1000, 1000)
    assert outcome.added_mb < 300


@pytest.mark.parametrize("build, megabytes", [(lambda: hostile.rgba_png(9400), 337),
                                              (lambda: hostile.webp_bomb(6000), 275)], ids=["rgba-png", "webp"])
def test_rgba_bombs_are_refused_from_their_header(build, megabytes):
    """RGBA PNG and WebP took 1.5-1.7 GB (three RGBA copies); their decode alone is over the budget."""
    outcome = _photo(build())
    assert isinstance(outcome.error, ImageError), outcome.error
    assert f"would take {megabytes} MB" in str(outcome.error)
    assert outcome.seconds < 5 and outcome.added_mb < 50


def test_a_transparent_gif_of_88_megapixels_is_reduced_before_it_is_converted():
    outcome = _photo(hostile.gif_bomb(9400))
    assert outcome.error is None and outcome.value.size == (1000, 1000) and outcome.value.mode == "RGB"
    assert outcome.added_mb < 200  # its palette buffer is 88 MB; RGBA copies of it would be 1 GB


def test_a_jpeg_with_twenty_thousand_scans_is_refused_before_decoding():
    data = hostile.many_scans(20_000)
    assert jpeg_scans(data) > 20_000
    outcome = _photo(data)
    assert isinstance(outcome.error, ImageError)
    assert f"has {jpeg_scans(data)} scans; the limit is 100" in str(outcome.error)
    assert outcome.seconds < 5


def test_a_normal_progressive_jpeg_is_accepted():
    data = hostile.progressive_jpeg(256)
    assert jpeg_scans(data) <= 12
    assert decode_image(data).size == (256, 256)


def test_the_decode_budget_follows_mode_format_and_progressive_coefficients():
    """The header's promise, counted as the decoder will hold it."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(hostile.grey16_png(1000)))
    assert decode_bytes(image) == 1000 * 1000 * 2
    image = Image.open(io.BytesIO(hostile.rgba_png(1000)))
    assert decode_bytes(image) == 1000 * 1000 * 4
    image = Image.open(io.BytesIO(hostile.progressive_jpeg(64)))
    pixels = 64 * 64
    assert decode_bytes(image) == pixels * 4 + pixels * 2 * 1.5  # Pillow's default 4:2:0: 1.5 samples a pixel
    assert DECODE_BUDGET < 300 * MB


def test_uploads_go_through_the_queue_and_its_fair_share():
    """A student whose own uploads fill their share is refused at once; another student is not."""
    from cnnviz.work_queue import OverShare, WorkQueue

    queue = WorkQueue(workers=1, waiting=4, wait_s=30, share=1)
    ticket = queue.ticket(owner="student a")
    with pytest.raises(OverShare):
        uploads.decode_photo(hostile.progressive_jpeg(), queue=_owned(queue, "student a"))
    with ticket:
        pass  # student a's first job ends
    image = uploads.decode_photo(hostile.progressive_jpeg(), queue=_owned(queue, "student b"))
    assert image.size == (64, 64)


def _owned(queue, owner):
    queue.owner_of = lambda: owner
    return queue


def test_the_command_line_refuses_an_enormous_map_at_once(tmp_path, capsys):
    from cnnviz.cli.main import main

    path = tmp_path / "up.onnx"
    path.write_bytes(hostile.resize_by(1e6))
    started = time.monotonic()
    assert main(["summary", str(path), "--json"]) == 2
    assert "wider than" in capsys.readouterr().err
    assert time.monotonic() - started < 20


def test_a_file_s_names_are_text_in_charts_and_layer_graphs():
    """Plotly draws tags in text (an <a href> is a link) and graphviz reads "<...>" as an HTML label (HREF makes a
    link): a hostile file name or node name stays text in both."""
    from cnnviz.analysis.graph import layer_graph
    from cnnviz.any_network.placement import placed_among_classics

    hostile_name = '<a href="http://x/login">log in</a>'
    figure = placed_among_classics([{"GMACs": 1.0, "parameters": 1e6, "model": "alexnet"}], hostile_name, 10, 10)
    assert hostile_name not in str(figure.to_plotly_json())
    assert "&lt;a href" in figure.data[-1].text[0]

    model = tiny_graph([1, 3, 32, 32])
    model.graph.node[0].name = '<TABLE HREF="http://x"><TR><TD>conv</TD></TR></TABLE>'
    network = uploads.analyse_onnx(onnx_file.OnnxFile("x.onnx", model.SerializeToString()), None)
    source = layer_graph(network.summary, True).source
    assert "<TABLE" in source  # the name is drawn ...
    assert "=<<TABLE" not in source and "=<TABLE" not in source and "\n\t<TABLE" not in source  # ... quoted as text


def test_an_operator_sets_the_worker_limits_and_a_typo_keeps_the_defaults(monkeypatch):
    monkeypatch.setenv("CNNVIZ_WORKER_MEMORY_MB", "2048")
    monkeypatch.setenv("CNNVIZ_WORKER_CPU_S", "45")
    limits = sandbox.Limits.from_env(memory_mb=1024, cpu_s=30, wall_s=60.0)
    assert (limits.memory_mb, limits.cpu_s, limits.wall_s) == (2048, 45, 90.0)  # the wall clock follows the CPU
    monkeypatch.setenv("CNNVIZ_WORKER_MEMORY_MB", "2 GB")
    with pytest.warns(UserWarning, match="2 GB"):
        assert sandbox.Limits.from_env(memory_mb=1024, cpu_s=30, wall_s=60.0).memory_mb == 1024

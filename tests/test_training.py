"""The mini-trainings: checked against ln 10, hand formulas, torch's schedulers and optimisers, and the
ResNet paper's claims in the bundled curves."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz.training.data import digits, digits_subset
from cnnviz.training.plain_vs_residual import StageNet, SweepConfig, train_one
from tests.conftest import ROOT


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # trainings as the app runs them


# --- data -------------------------------------------------------------------------------------------------

def test_digits_split_is_stratified_and_upsampled():
    split = digits(32)
    assert split.x_train.shape[1:] == (1, 32, 32)
    assert sum(split.sizes) == 1797  # scikit-learn's digits
    assert 0.0 <= float(split.x_train.min()) and float(split.x_train.max()) <= 1.0
    for part in (split.y_train, split.y_val, split.y_test):  # every class in every part
        assert set(part.tolist()) == set(range(10))
    small = digits_subset(split, 3)
    assert torch.bincount(small.y_train).tolist() == [3] * 10


def test_bundled_results_or_none_when_missing(monkeypatch, tmp_path):
    from cnnviz.training import bundled

    assert bundled.load_bundled_or_none("transfer") == bundled.load_bundled("transfer")
    monkeypatch.setattr(bundled, "ASSETS", tmp_path / "assets")
    assert bundled.load_bundled_or_none("transfer") is None
    assert bundled.missing_message("transfer") == ("assets/transfer.json is missing: make it with "
                                                   "`python -m cnnviz train transfer`")


# --- the shared loop and device helpers -------------------------------------------------------------------

def test_single_threaded_limits_threads_and_keeps_the_signature():
    import inspect

    from cnnviz.training.device import single_threaded
    from cnnviz.training.lenet_live import train_lenet

    @single_threaded
    def probe(value, *, extra=1):
        """Doc."""
        return value + extra, torch.get_num_threads()

    torch.set_num_threads(2)  # the autouse fixture restores the previous number
    assert probe(1, extra=2) == (3, 1)
    assert torch.get_num_threads() == 2
    assert probe.__name__ == "probe" and probe.__doc__ == "Doc."
    assert list(inspect.signature(train_lenet).parameters) == ["config", "on_epoch", "data", "device"]


def test_evaluate_in_chunks_equals_one_pass():
    from cnnviz.training import loop

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    split = digits(8)
    whole = loop.evaluate(model, split.x_val, split.y_val)
    assert loop.evaluate(model, split.x_val, split.y_val, batch_size=50) == pytest.approx(whole, rel=1e-6)
    logits = model(split.x_val)
    assert whole[0] == pytest.approx(F.cross_entropy(logits, split.y_val).item())
    assert whole[1] == pytest.approx((logits.argmax(1) == split.y_val).float().mean().item())


# --- LeNet-5 ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_lenet_initial_loss_is_about_ln10(activation):
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    run = train_lenet(LeNetConfig(activation=activation, epochs=1))
    assert run.initial_loss == pytest.approx(math.log(10), abs=0.05)
    assert run.train_loss[0] < run.initial_loss  # one epoch already learns something
    assert np.array(run.before.filters).shape == (6, 5, 5)
    assert np.array(run.after.c1_maps).shape == (8, 6, 28, 28)
    assert np.array(run.after.c3_maps).shape == (8, 16, 10, 10)


def test_lenet_same_seed_same_run():
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    first, second = (train_lenet(LeNetConfig(epochs=1)) for _ in range(2))
    assert first.step_loss == second.step_loss
    assert first.test_accuracy == second.test_accuracy


@pytest.mark.slow
def test_lenet_learns_the_digits():
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    run = train_lenet(LeNetConfig(epochs=8))
    assert run.test_accuracy > 0.9
    assert run.seconds < 30


# --- plain vs residual ------------------------------------------------------------------------------------

def test_plain_and_residual_have_the_papers_parameter_count():
    # Depth 8 (n = 1), width 16: hand count of the paper's CIFAR design with option-A shortcuts.
    conv = lambda c_in, c_out: 9 * c_in * c_out  # noqa: E731  (3x3, no bias)
    bn = lambda c: 2 * c  # noqa: E731
    expected = (conv(1, 16) + bn(16) + 2 * (conv(16, 16) + bn(16)) + conv(16, 32) + conv(32, 32) + 2 * bn(32)
                + conv(32, 64) + conv(64, 64) + 2 * bn(64) + 64 * 10 + 10)
    for residual in (False, True):
        model = StageNet(8, residual)
        assert sum(p.numel() for p in model.parameters()) == expected
    convs = sum(isinstance(m, torch.nn.Conv2d) for m in StageNet(56, True).modules())
    assert convs + 1 == 56  # 55 convolutions and one linear layer


def test_bad_depth_is_refused():
    with pytest.raises(ValueError, match="6n"):
        StageNet(10, True)


def test_tiny_net_overfits_a_handful_of_samples():
    split = digits(8)
    x, y = split.x_train[:10], split.y_train[:10]
    torch.manual_seed(0)
    model = StageNet(8, residual=True, width=8)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(150):
        loss = F.cross_entropy(model(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    assert F.cross_entropy(model(x), y).item() < 0.05
    assert (model(x).argmax(1) == y).all()


def test_sweep_runs_are_repeatable():
    config = SweepConfig(depths=(8,), width=4, epochs=2)
    data = digits(8)
    first, second = (train_one("residual", 8, config, data, device="cpu") for _ in range(2))
    assert first.train_loss == second.train_loss and first.val_error == second.val_error


def _bundle() -> dict:
    return json.loads((ROOT / "assets" / "plain_vs_residual.json").read_text())


def _last(run: dict) -> float:
    return float(np.mean(run["train_loss"][-3:]))  # the last three epochs, to smooth mini-batch noise


def test_bundled_curves_show_deeper_plain_nets_train_worse():
    runs = _bundle()["runs"]
    plain = {r["depth"]: _last(r) for r in runs if r["kind"] == "plain"}
    depths = sorted(plain)
    assert len(depths) >= 3
    deep = [d for d in depths if d >= 20]
    # Figure 1 of the paper: each deeper plain net ends with a higher training loss.
    assert all(plain[a] < plain[b] for a, b in zip(deep, deep[1:])), plain
    assert plain[depths[-1]] > 10 * plain[20]


def test_bundled_curves_show_residual_nets_do_not_degrade():
    runs = _bundle()["runs"]
    plain = {r["depth"]: _last(r) for r in runs if r["kind"] == "plain"}
    residual = {r["depth"]: _last(r) for r in runs if r["kind"] == "residual"}
    assert residual.keys() == plain.keys()
    deepest = max(residual)
    # Figure 6: the deepest residual net is not worse than the 20-layer one (beyond noise) ...
    assert residual[deepest] <= residual[20] + 0.02, residual
    # ... and at every depth from 20 on, residual beats plain with the very same parameters.
    assert all(residual[d] < plain[d] for d in residual if d >= 20)


def test_bundled_curves_are_complete():
    bundle = _bundle()
    epochs = bundle["config"]["epochs"]
    for run in bundle["runs"]:
        assert len(run["train_loss"]) == len(run["val_error"]) == epochs
        assert all(0.0 <= e <= 1.0 for e in run["val_error"])
        # Each first epoch starts near the untrained loss ln 10 or above it, never at zero.
        assert run["train_loss"][0] > 0.5


def test_sweep_results_read_the_bundle():
    from cnnviz.training import sweep_results

    bundle = _bundle()
    runs = bundle["runs"]
    compared = sweep_results.compare_depths(runs)
    assert compared.deep == max(r["depth"] for r in runs) and compared.shallow in sweep_results.depths(runs)
    plain_deep = next(r for r in runs if r["kind"] == "plain" and r["depth"] == compared.deep)
    assert compared.plain_ratio * compared.loss[("plain", compared.shallow)] == pytest.approx(
        plain_deep["train_loss"][-1])
    rows = sweep_results.table_rows(runs)
    assert [row["depth"] for row in rows] == sweep_results.depths(runs)
    setup = sweep_results.first_setup(bundle["first_setup"], bundle["sizes"]["train"])
    batch = setup.config["batch_size"]
    assert (setup.updates_per_epoch - 1) * batch < bundle["sizes"]["train"] <= setup.updates_per_epoch * batch


# --- transfer learning ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_transfer_modes_train_what_they_say():
    from cnnviz.imagelab.pretrained import efficientnet_lite0
    from cnnviz.training.transfer import TransferConfig, compare

    config = TransferConfig(per_class=1, image_size=32, epochs=1, batch_size=10)
    runs = {run.mode: run for run in compare(config, device="cpu")}
    pretrained = efficientnet_lite0()
    encoder = sum(p.numel() for name, p in pretrained.named_parameters() if not name.startswith("_fc"))
    head = 1280 * 10 + 10
    assert runs["frozen"].trainable_params == head
    assert runs["finetune"].trainable_params == runs["scratch"].trainable_params == encoder + head
    for run in runs.values():
        assert len(run.val_accuracy) == 1 and 0.0 <= run.test_accuracy <= 1.0
    again = compare(config, modes=("frozen",), device="cpu")[0]
    assert again.train_loss == runs["frozen"].train_loss  # same seed, same run


def test_transfer_data_is_black_on_white_and_scaled_for_lite():
    from cnnviz.imagelab.pretrained import LITE_MEAN, LITE_STD
    from cnnviz.training.transfer import TransferConfig, transfer_data

    data = transfer_data(TransferConfig(per_class=2, image_size=32))
    assert data.x_train.shape == (20, 3, 32, 32)
    white = (1.0 - LITE_MEAN[0]) / LITE_STD[0]  # a blank pixel, scaled as (p - 127) / 128
    corner = data.x_train[:, :, 0, 0]
    assert torch.allclose(corner, torch.full_like(corner, white), atol=0.05)


# How far one training moves between CPUs, measured on residual-8 and plain-8 against the run here (which makes
# the bundle's numbers exactly): 1 to 4 threads, oneDNN on and off, deterministic algorithms, and oneDNN / ATen /
# MKL held to AVX-512, AVX2, AVX, SSE4 or no SIMD, as on other CPUs (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY,
# MKL_ENABLE_INSTRUCTIONS). The first epoch's mean loss moved by at most 1.3e-4 (relative), the second by 1.1e-2,
# the third by 5.0e-2 (oneDNN off; AVX2-only oneDNN gives the 1.4e-2 seen on a CPU without AVX-512) and later
# ones by up to 90%: rounding differences grow chaotically. So the first epoch is held to about 8x its spread,
# the second to about 5x, and later ones are not compared.
CPU_SPREAD_RTOL = (1e-3, 5e-2)


@pytest.fixture
def deterministic():
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(before)


def test_bundled_curves_are_made_by_this_code(deterministic):
    from dataclasses import replace

    bundle = _bundle()
    config = SweepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in bundle["config"].items()})
    bundled = next(r for r in bundle["runs"] if r["kind"] == "residual" and r["depth"] == 8)
    # The first epochs again (single-threaded, as every run; the schedule's milestones come later).
    epochs = len(CPU_SPREAD_RTOL)
    run = train_one("residual", 8, replace(config, epochs=epochs), digits(config.image_size, config.seed),
                    device="cpu")
    assert run.params == bundled["params"]
    for epoch, rtol in enumerate(CPU_SPREAD_RTOL):
        assert run.train_loss[epoch] == pytest.approx(bundled["train_loss"][epoch], rel=rtol), f"epoch {epoch + 1}"

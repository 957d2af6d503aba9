"""Each training draws from its own random generators, never the global ones: many students train at once."""

from __future__ import annotations

import random
import sys
import threading

import numpy as np
import pytest
import torch

from cnnviz.training.data import digits
from cnnviz.training.plain_vs_residual import StageNet, SweepConfig, train_one
from cnnviz.training.schedules import train_with_schedule


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # trainings as the app runs them


# --- random numbers: per run, never the global generators ------------------------------------------------

def _global_states() -> tuple:
    return torch.get_rng_state(), np.random.get_state(), random.getstate()


def _same_states(first: tuple, second: tuple) -> bool:
    (t1, n1, r1), (t2, n2, r2) = first, second
    return (torch.equal(t1, t2) and n1[0] == n2[0] and np.array_equal(n1[1], n2[1]) and n1[2:] == n2[2:]
            and r1 == r2)


def _lenet():
    from cnnviz.training.lenet_live import LeNetConfig, train_lenet

    run = train_lenet(LeNetConfig(epochs=1), device="cpu")
    return run.step_loss, run.after.filters, run.val_accuracy


def _schedule():
    run = train_with_schedule("warmup", 4, patience=1, warm_epochs=1)
    return run.lr, run.train_loss, run.val_loss


def _residual():
    run = train_one("residual", 8, SweepConfig(depths=(8,), width=4, epochs=1), digits(8), device="cpu")
    return run.train_loss, run.val_error


def _finetune():
    from cnnviz.training.transfer import TransferConfig, train_mode, transfer_data

    config = TransferConfig(per_class=1, image_size=32, epochs=1, batch_size=10)
    run = train_mode("finetune", config, transfer_data(config), device="cpu")
    return run.train_loss, run.val_accuracy, run.test_accuracy


TRAININGS = [_lenet, _schedule, _residual, pytest.param(_finetune, marks=pytest.mark.slow)]


@pytest.mark.parametrize("train", TRAININGS)
def test_a_training_leaves_the_global_generators_alone(train):
    before = _global_states()
    train()
    assert _same_states(_global_states(), before)


@pytest.mark.parametrize("train", TRAININGS)
def test_trainings_at_the_same_time_give_the_run_alone(train):
    """Three students train with the same settings at once while another session reseeds and draws from the
    global generators: each run is still exactly the run made alone."""
    alone = train()
    results, failures, stop = [None] * 3, [], threading.Event()

    def student(index: int) -> None:
        try:
            results[index] = train()
        except BaseException as error:  # noqa: BLE001  (re-raised in the main thread below)
            failures.append(error)

    def neighbour() -> None:
        while not stop.is_set():
            torch.manual_seed(1)
            torch.rand(256)

    switch, states = sys.getswitchinterval(), _global_states()
    sys.setswitchinterval(1e-5)  # hand the interpreter between threads often, as a busy server does
    try:
        others = [threading.Thread(target=student, args=(i,)) for i in range(len(results))]
        noise = threading.Thread(target=neighbour)
        noise.start()
        for thread in others:
            thread.start()
        for thread in others:
            thread.join()
    finally:
        stop.set()
        noise.join()
        sys.setswitchinterval(switch)
        torch.set_rng_state(states[0])
    assert not failures, failures
    assert results == [alone] * len(results)


def test_seeded_initialisation_is_torchs_own():
    """Each model's first weights are those torch.manual_seed(seed) and the constructor would give (so results
    made that way still hold), and every parameter and buffer is set."""
    from cnnviz.training.schedules import small_net
    from cnnviz.training.seeding import run_generator, seeded_model
    from cnnviz.zoo.models.lenet import lenet5
    from cnnviz.zoo.registry import resolve

    builds = {"lenet": lambda: lenet5(10, "relu"), "stage": lambda: StageNet(14, residual=False, width=4),
              "efficientnet": resolve("efficientnet_lite0")[1].build,
              "mlp": lambda: torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Linear(64, 10))}
    for name, build in builds.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(3)
            expected = build()
        generator = run_generator(3)
        seeded = seeded_model(build, generator)
        if name == "stage":
            seeded.he_init(generator)
        ours, theirs = seeded.state_dict(), expected.state_dict()
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[key], theirs[key]) for key in ours), name
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        assert all(torch.equal(a, b) for a, b in zip(small_net(0).parameters(), torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).parameters()))


def test_seeded_initialisation_refuses_layers_it_cannot_seed():
    from cnnviz.training.seeding import run_generator, seeded_model

    with pytest.raises(TypeError, match="Embedding"):
        seeded_model(lambda: torch.nn.Embedding(5, 3), run_generator(0))


def test_transfer_drop_connect_draws_from_the_runs_generator():
    from cnnviz.training.seeding import run_generator
    from cnnviz.training.transfer import Classifier

    x = torch.randn(6, 3, 32, 32, generator=run_generator(1))
    first, second = (Classifier(False, run_generator(0)).train() for _ in range(2))
    before = _global_states()
    with torch.no_grad():
        a, b = first(x), second(x)
        again = first(x)  # batch statistics as before; only the masks, drawn further on, differ
    assert _same_states(_global_states(), before)
    assert torch.equal(a, b)
    assert not torch.equal(a, again)

"""Many users at once: 20 concurrent predictions through the bounded queue all get an answer, never more
than ``workers`` run at the same time, and a full queue answers "busy" at once instead of piling up."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from cnnviz.imagelab.samples import sample_image
from cnnviz.imagelab.serving import Busy, InferenceQueue, configure_torch_threads, default_workers, retry_busy


class _Counter:
    """Counts how many calls are inside the wrapped function at once (independently of the queue)."""

    def __init__(self, function):
        self.function, self.now, self.peak, self.lock = function, 0, 0, threading.Lock()

    def __call__(self, *args):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            return self.function(*args)
        finally:
            with self.lock:
                self.now -= 1


@pytest.fixture(scope="module")
def classifier(lite0_classifier):
    configure_torch_threads(2)
    return lite0_classifier


def test_twenty_concurrent_predictions_all_answered_and_bounded(classifier):
    photos = [sample_image(name) for name in ("chelsea", "coffee")]
    expected = [[p.label for p in classifier.predict(photo)] for photo in photos]
    queue = InferenceQueue(workers=2, waiting=18, wait_s=120)
    predict = _Counter(classifier.predict)
    start = threading.Barrier(20)

    def user(number):
        start.wait()  # all twenty press the button in the same instant
        return number, queue.run(predict, photos[number % 2])

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(user, range(20)))
    assert len(answers) == 20
    for number, predictions in answers:
        assert [p.label for p in predictions] == expected[number % 2]
    assert predict.peak <= 2, f"{predict.peak} forward passes ran at once"
    assert queue.peak_admitted <= queue.capacity and queue.busy_answers == 0


def test_a_full_queue_says_busy_at_once_and_retries_get_through():
    queue = InferenceQueue(workers=1, waiting=2, wait_s=30)
    work = _Counter(lambda: time.sleep(0.5) or "done")
    start = threading.Barrier(20)
    busy_times = []

    def impatient():
        start.wait()
        began = time.perf_counter()
        try:
            return queue.run(work)
        except Busy as busy:
            busy_times.append(time.perf_counter() - began)
            return busy

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: impatient(), range(20)))
    done = [a for a in answers if a == "done"]
    refused = [a for a in answers if isinstance(a, Busy)]
    assert len(done) + len(refused) == 20 and 3 <= len(done) < 20  # 1 running + 2 waiting at the rush
    assert "busy" in str(refused[0]) and max(busy_times) < 0.4  # answered at once, not after a job's 0.5 s
    assert work.peak == 1 and queue.peak_admitted <= 3

    work = _Counter(lambda: time.sleep(0.05) or "done")
    notices = []
    start = threading.Barrier(20)

    def patient():
        start.wait()
        return retry_busy(lambda: queue.run(work), attempts=40, pause_s=0.05,
                          on_busy=lambda attempt, busy: notices.append(attempt))

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(lambda _: patient(), range(20))) == ["done"] * 20
    assert notices, "nobody was told to wait"
    assert work.peak == 1


def test_waiting_too_long_is_busy_too():
    queue = InferenceQueue(workers=1, waiting=5, wait_s=0.1)
    release = threading.Event()
    blocker = threading.Thread(target=queue.run, args=(release.wait,))
    blocker.start()
    time.sleep(0.05)
    with pytest.raises(Busy, match="no worker"):
        queue.run(lambda: None)
    release.set()
    blocker.join()
    assert queue.run(lambda: 42) == 42


def test_torch_threads_are_set_once():
    first = configure_torch_threads(2)
    assert configure_torch_threads(1) == first == torch.get_num_threads()


@pytest.mark.parametrize("value, expected", [("3", 3), (" 2 ", 2), ("0", 1), ("-4", 1)])
def test_worker_count_from_the_environment_is_at_least_one(monkeypatch, value, expected):
    monkeypatch.setenv("CNNVIZ_INFERENCE_WORKERS", value)
    assert default_workers() == expected
    assert InferenceQueue().workers == expected


@pytest.mark.parametrize("value", ["four", "2.5", ""])
def test_a_bad_worker_count_falls_back_to_the_cores(monkeypatch, value):
    import os

    monkeypatch.setenv("CNNVIZ_INFERENCE_WORKERS", value)
    fallback = max(1, min(4, os.cpu_count() or 1))
    if value:
        with pytest.warns(UserWarning, match="CNNVIZ_INFERENCE_WORKERS"):
            assert default_workers() == fallback
    else:
        assert default_workers() == fallback

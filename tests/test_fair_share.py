"""A fair share of the queues: one student (owner) holds at most ``share`` admitted jobs, one more is ``OverShare`` at
once and takes no place, so another student is still admitted; a job that leaves frees its owner's share; a job
with no owner has no share. In the app the owner is the browser (Streamlit's XSRF cookie) or else the session: a
student's own line says so, another student's page answers as usual."""

from __future__ import annotations

import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cnnviz.imagelab import serving
from cnnviz.imagelab.serving import InferenceQueue
from cnnviz.training import queueing
from cnnviz.work_queue import Busy, OverShare, WorkQueue, share_from_env
from ui.session import browser_token, session_owner


# --- The queue ---

def test_an_owner_over_its_share_is_refused_and_another_owner_is_still_admitted():
    queue = WorkQueue(workers=1, waiting=4, share=2)
    first, second = queue.ticket(owner="A"), queue.ticket(owner="A")  # one running, one in line
    with pytest.raises(OverShare) as over:
        queue.ticket(owner="A")
    assert isinstance(over.value, Busy)  # every page that handles "busy" handles it too
    assert (over.value.owner, over.value.held, over.value.share) == ("A", 2, 2)
    assert first.place == 0 and second.place == 1  # the refused job took no place
    other = queue.ticket(owner="B")
    assert other.place == 2
    assert queue.over_share_answers == 1 and queue.busy_answers == 0


def test_the_share_frees_when_a_job_ends_or_leaves_the_line():
    queue = WorkQueue(workers=1, waiting=4, share=2)
    with queue.ticket(owner="A"):
        waiting = queue.ticket(owner="A")
        with pytest.raises(OverShare):
            queue.ticket(owner="A")
        waiting.leave()  # left the line (a tab closed while it waited)
        again = queue.ticket(owner="A")
        with pytest.raises(OverShare):
            queue.ticket(owner="A")
    # The running job ended (the ticket's context): one of two held, one more admitted.
    assert again.place == 0
    assert queue.ticket(owner="A").place == 1
    with pytest.raises(OverShare):
        queue.ticket(owner="A")


def test_no_owner_and_no_share_mean_no_limit():
    queue = WorkQueue(workers=1, waiting=3, share=1)
    held = [queue.ticket(owner=None) for _ in range(4)]  # the command line, the warm-up
    with pytest.raises(Busy) as busy:
        queue.ticket(owner=None)
    assert not isinstance(busy.value, OverShare)
    for ticket in held:
        ticket.leave()
    unlimited = WorkQueue(workers=1, waiting=3, share=0)
    assert [unlimited.ticket(owner="A").place for _ in range(4)] == [0, 1, 2, 3]


def test_a_student_over_the_share_hears_about_their_own_jobs_even_when_the_line_is_full():
    queue = WorkQueue(workers=1, waiting=1, share=1)
    queue.ticket(owner="A")
    queue.ticket(owner="B")
    with pytest.raises(OverShare):
        queue.ticket(owner="A")
    with pytest.raises(Busy) as busy:
        queue.ticket(owner="C")
    assert not isinstance(busy.value, OverShare)


def test_the_owner_is_asked_of_the_queue_unless_given():
    current = {"owner": "A"}
    queue = WorkQueue(workers=1, waiting=4, share=1, owner_of=lambda: current["owner"])
    queue.ticket()
    with pytest.raises(OverShare):
        queue.ticket()
    with pytest.raises(OverShare):
        queue.run(lambda: None)
    assert queue.ticket(owner=None).place == 1  # given: no owner, no share
    current["owner"] = "B"
    assert queue.ticket().owner == "B"


def test_over_share_says_when_the_owners_first_job_ends(monkeypatch):
    from cnnviz import work_queue

    now = [1000.0]
    monkeypatch.setattr(work_queue.time, "monotonic", lambda: now[0])
    queue = WorkQueue(workers=1, waiting=4, share=2, first_guess_s={"lenet": 10.0})
    queue.ticket("lenet", 6, owner="B")  # 60 s, running
    queue.ticket("lenet", 3, owner="A")  # starts in 60 s, ends in 90 s
    queue.ticket("lenet", 1, owner="A")
    now[0] += 20
    with pytest.raises(OverShare) as over:
        queue.ticket("lenet", owner="A")
    assert over.value.frees_in_s == pytest.approx(70.0)


def test_share_frees_waits_for_one_of_the_owners_jobs_to_end():
    queue = WorkQueue(workers=1, waiting=4, share=1)
    held = queue.ticket(owner="A")
    assert not queue.share_frees("A", 0.05)
    assert queue.share_frees("B", 0.0)
    threading.Timer(0.2, held.leave).start()
    began = time.perf_counter()
    assert queue.share_frees("A", 5.0) and 0.1 < time.perf_counter() - began < 4


@pytest.mark.parametrize("value, expected", [("", 2), ("3", 3), ("0", 0), ("-1", 0), (" 1 ", 1)])
def test_the_share_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("CNNVIZ_INFERENCE_SHARE", value)
    assert serving.default_share() == expected
    assert InferenceQueue(workers=1).share == expected


def test_a_bad_share_falls_back_with_a_warning(monkeypatch):
    monkeypatch.setenv("CNNVIZ_TRAINING_SHARE", "two")
    with pytest.warns(UserWarning, match="CNNVIZ_TRAINING_SHARE"):
        assert share_from_env("CNNVIZ_TRAINING_SHARE", 1) == 1
    monkeypatch.delenv("CNNVIZ_TRAINING_SHARE")
    assert queueing.training_queue(workers=1).share == 1


# --- Through the inference path: the numbers, two real owners ---

@pytest.mark.parametrize("share", [2, 0])
def test_one_students_eighteen_jobs_no_longer_turn_the_others_away(share):
    """The inference queue as served on two cores (2 workers, 16 places). One student sends 18 nine-second jobs (here:
    jobs that wait for a signal); another student's top-5 comes a moment later. Without a share (0) the first
    student fills every place and the other hears "busy"."""
    queue = InferenceQueue(workers=2, waiting=16, share=share)
    release = threading.Event()

    def slow_job():
        release.wait(10)
        return "done"

    def attempt(owner, job):
        try:
            return queue.run(job, owner=owner)
        except Busy as busy:
            return busy

    with ThreadPoolExecutor(max_workers=19) as pool:
        first = [pool.submit(attempt, "student A", slow_job) for _ in range(18)]
        deadline = time.monotonic() + 5
        while len(queue._running) + len(queue._line) < (2 if share else 18) and time.monotonic() < deadline:
            time.sleep(0.01)
        other = pool.submit(attempt, "student B", lambda: "top-5")
        time.sleep(0.1)  # B is in line (or turned away) before A's jobs end
        release.set()
        answers, answer = [f.result(timeout=10) for f in first], other.result(timeout=10)
    if share:
        assert answers.count("done") == 2
        assert sum(isinstance(a, OverShare) for a in answers) == 16  # refused at once, taking no place
        assert answer == "top-5" and queue.busy_answers == 0
    else:
        assert answers == ["done"] * 18
        assert isinstance(answer, Busy) and not isinstance(answer, OverShare)


# --- The owner in the app ---

def _cookie(token: bytes, mask: bytes) -> str:
    """Streamlit's version-2 XSRF cookie: the token XOR a four-byte mask, both in hex."""
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(token))
    return f"2|{mask.hex()}|{masked.hex()}|1767225600"


def test_the_browser_token_is_the_same_under_every_mask():
    token, other = bytes(range(16)), bytes(range(1, 17))
    assert browser_token(_cookie(token, b"\x01\x02\x03\x04")) == token
    assert browser_token(_cookie(token, b"\xff\x00\xaa\x55")) == token  # another tab, loaded later
    assert browser_token(_cookie(other, b"\x01\x02\x03\x04")) == other
    assert browser_token("0123abcd") == b"0123abcd"  # version 1: the token itself
    assert browser_token("2|zz|00|1") is None and browser_token("2|0102|00|1") is None and browser_token("") is None


def test_no_owner_outside_a_session():
    assert session_owner() is None  # the warm-up's thread, the command line: no share to keep


def _inference_page():
    import streamlit as st

    from ui.busy import when_free
    from ui.cached.image_lab import inference_queue
    from ui.session import session_owner

    st.session_state["owner"] = session_owner()
    st.write(when_free(lambda: inference_queue().run(lambda: "top-5 of your photo")))


@pytest.fixture
def served_queue(monkeypatch):
    """The app's inference queue, new, as served on two cores: 2 workers, 16 places, a share of 2."""
    import streamlit as st

    from ui import busy, session
    from ui.cached import image_lab

    monkeypatch.setenv("CNNVIZ_INFERENCE_WORKERS", "2")
    monkeypatch.delenv("CNNVIZ_INFERENCE_SHARE", raising=False)
    monkeypatch.setattr(busy, "retry_busy", functools.partial(serving.retry_busy, pause_s=0.0))
    # AppTest sends no cookies: each test session stands for a browser whose XSRF cookie it holds in its state.
    monkeypatch.setattr(session, "_xsrf_cookie", lambda: st.session_state.get("test cookie"))
    image_lab.inference_queue.clear()
    yield image_lab.inference_queue()
    image_lab.inference_queue.clear()


def test_a_student_over_the_share_sees_their_line_and_another_student_is_answered(served_queue):
    from streamlit.testing.v1 import AppTest

    students = {}
    browsers = {"A": (b"browser A token.", b"\x01\x02\x03\x04"), "B": (b"browser B token.", b"\x05\x06\x07\x08")}
    for name, (token, mask) in browsers.items():
        app = AppTest.from_function(_inference_page, default_timeout=30)
        app.session_state["test cookie"] = _cookie(token, mask)
        students[name] = app.run()
        assert students[name].markdown[-1].value == "top-5 of your photo"
    a, b = students["A"], students["B"]
    assert a.session_state["owner"] != b.session_state["owner"]
    assert a.session_state["owner"].startswith("browser ")

    # Two more tabs of A's browser hold both workers.
    held = [served_queue.ticket("x", owner=a.session_state["owner"]) for _ in range(2)]
    a.run()
    assert [e.value for e in a.error] == [
        "You already have 2 jobs running or in line; try this one again when one of them has ended."]
    assert served_queue.busy_answers == 0 and len(served_queue._line) == 0  # A's refusals took no place

    threading.Timer(1.0, held[0].leave).start()  # B waits for a worker like anyone, and is not refused
    b.run()
    assert not b.error and b.markdown[-1].value == "top-5 of your photo"

    held[1].leave()
    a.run()
    assert not a.error and a.markdown[-1].value == "top-5 of your photo"


def _training_page():
    import streamlit as st

    from ui.session import session_owner
    from ui.training_queue import training_turn

    st.session_state["owner"] = session_owner()
    if st.session_state.get("train"):
        with training_turn("lenet", 1) as turn:
            st.write("trained" if turn else "no turn")


def test_a_training_over_the_share_waits_for_the_students_other_one_in_view(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui import training_queue
    from ui.cached import trainings
    from ui.session import session_owner as owner_of

    queue = queueing.training_queue(workers=1, waiting=3, share=1, owner_of=owner_of)
    monkeypatch.setattr(trainings, "training_queue", lambda: queue)
    lines = []
    shown = training_queue.over_share_text
    monkeypatch.setattr(training_queue, "over_share_text",
                        lambda over: lines.append((over.held, len(queue._running) + len(queue._line))) or shown(over))
    app = AppTest.from_function(_training_page, default_timeout=30).run()
    other_tab = queue.ticket("lenet", 300, owner=app.session_state["owner"])
    threading.Timer(1.5, other_tab.leave).start()
    app.session_state["train"] = True
    app.run()
    assert not app.exception, app.exception
    assert lines and set(lines) == {(1, 1)}  # its line, while it took no place of its own
    assert shown(OverShare("", 1, "A", 1, 1)) == (
        "You already have 1 training running or in line; this one joins the line when it ends.")
    assert app.markdown[-1].value == "trained" and not app.info  # the line cleared once it trained
    assert queue.ticket(owner="someone").place == 0  # every place freed


def test_tracing_a_timm_model_takes_its_turn_and_a_full_queue_is_the_pages_one_line(served_queue, monkeypatch):
    from tests.conftest import open_link
    from ui.cached import any_network

    monkeypatch.setattr(serving, "retry_busy", functools.partial(serving.retry_busy, pause_s=0.0))
    any_network.timm_network.clear()
    held = [served_queue.ticket("x", owner=None) for _ in range(served_queue.capacity)]
    app = open_link("your-network", model="regnetx_002")
    assert [e.value for e in app.error] == ["The server is busy with other students' work; try again in a minute."]
    assert served_queue.busy_answers >= 5  # the trace asked the queue, and retried
    for ticket in held:
        ticket.leave()
    app.run()  # the busy answer was not cached: this time it traces
    assert not app.exception and not app.error
    assert served_queue.seconds_per_work("") != 1.0  # the trace ran as a job of the queue, and its time counts

"""Two replicas of the app behind the proxy (deploy/replicas.py: the compose recipe's processes, without a container
runtime) in headless Chromium: a class's sessions go on through one replica's end, and a live class on PostgreSQL
loses no answer when the replica its students were on stops."""

import re
import time
from pathlib import Path

import pytest

from tests.required import require

# --- Two replicas behind the proxy in headless Chromium, one of them stopped halfway ---

STOPPED, KEPT = 0, 1  # the replica that is stopped, the one that stays
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ERROR_BOX = '[data-testid="stException"], [data-testid="stAlertContentError"]'
FRESH_TOP5 = """(idle) => document.querySelector(idle) && document.querySelector(
    '[data-testid="stElementContainer"][data-stale="false"] [data-testid="stPlotlyChart"]')"""
TIMEOUT_MS = 120_000
# What the stopped replica's student sees: the app's connection states and the status widget's texts, each change.
WATCH_CONNECTION = """
window.__seen = [];
const last = {};
const note = (kind, value) => {
  if (value && last[kind] !== value) { last[kind] = value; window.__seen.push([kind + ' ' + value, Date.now()]); }
};
new MutationObserver(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (app) note('connection', app.dataset.testConnectionState);
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  note('status', status ? '"' + status.innerText.trim().replace(/\\s+/g, ' ') + '"' : 'none');
}).observe(document, {childList: true, subtree: true, attributes: true,
               attributeFilter: ['data-test-connection-state']});
"""


def _route(context) -> str:
    return next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "cnnviz_route")


def _served_by(cluster, route: str, wanted: int | None = None, timeout_s: float = 10) -> int | None:
    """The replica the proxy's log shows for ``route`` (waiting up to ``timeout_s`` for ``wanted``, or any)."""
    deadline = time.monotonic() + timeout_s
    while True:
        served = cluster.replica_of(route)
        if (served == wanted if wanted is not None else served is not None) or time.monotonic() > deadline:
            return served
        time.sleep(0.1)


def _session_on(browser, cluster, replica: int, watch: bool = False):
    """A student's browser pinned to ``replica``: the proxy gives each new browser a random route cookie, so a
    health request is made until the cookie points at that replica (each try is one small request)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    if watch:
        context.add_init_script(WATCH_CONNECTION)
    for _ in range(30):
        context.request.get(cluster.url + "/_stcore/health")
        route = _route(context)
        if _served_by(cluster, route) == replica:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            return page, route
        context.clear_cookies()
    raise AssertionError(f"no route cookie for replica {replica} in 30 tries")


def _open(*pages_urls_headings: tuple) -> None:
    """Each (page, URL, heading): all pages are sent to their URLs first, then each is waited for until its heading
    shows and its script run has ended, so that the replicas draw them at the same time, as for a class."""
    for page, url, _heading in pages_urls_headings:
        page.goto(url)
    for page, _url, heading in pages_urls_headings:
        page.wait_for_function("([idle, title]) => document.querySelector(idle) && [...document.querySelectorAll("
                               "'[data-testid=\"stMain\"] h1')].some((h) => h.textContent.trim() === title)",
                               arg=[IDLE, heading], polling=100)


def _upload_to_top5(page, photo: Path) -> None:
    page.get_by_test_id("stRadio").get_by_text("Upload a file", exact=True).click()
    page.locator('input[type="file"]').wait_for(state="attached")
    page.wait_for_selector(IDLE)
    page.locator('input[type="file"]').set_input_files(photo)
    page.get_by_text(f"{photo.name} ·").wait_for()  # the preview's caption names the file: the upload's rerun drew it
    page.wait_for_function(FRESH_TOP5, arg=IDLE, polling=100)


def _download_dot(page) -> str:
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download DOT")).click()
    return Path(download.value.path()).read_text()


def _diagnosis(page, cluster, route: str) -> str:
    """What the page and the proxy saw of a session, for a failure's message."""
    shown = page.evaluate("""() => [...document.querySelectorAll('h1, [data-testid="stCaptionContainer"], '
        + '[data-testid="stException"], [data-testid="stAlert"], [data-testid="stStatusWidget"]')]
        .map((e) => e.innerText.replace(/\\s+/g, ' ').trim().slice(0, 160)).filter((t) => t)""")
    logged = [line for line in cluster.access_log.read_text().splitlines() if route in line]
    state = page.evaluate("document.querySelector('[data-testid=stApp]')?.dataset.testScriptState")
    return (f"connection states seen: {page.evaluate('window.__seen')}\nscript state: {state}\npage shows: {shown}"
            f"\nproxy log, last lines of the route:\n" + "\n".join(logged[-12:]))


def _no_error_box(*pages) -> None:
    for page in pages:
        assert page.locator(ERROR_BOX).count() == 0, f"{page.url}: {page.locator(ERROR_BOX).all_inner_texts()}"


@pytest.mark.slow
def test_two_replicas_serve_a_class_and_survive_one_stopping(tmp_path):
    """Sessions on both replicas upload, train and download through the proxy; one replica stops mid-training:
    the other's sessions go on, a newcomer lands on it, and the stopped one's student reconnects to a working page."""
    from cnnviz.imagelab.samples import SAMPLES, sample_image
    from deploy import replicas
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_available

    require(chromium_available(), "Debian chromium is not installed (apt-get install -y chromium)")
    require(replicas.nginx_available(), "nginx is not installed (apt-get install -y nginx)")
    from playwright.sync_api import sync_playwright

    first, other = list(SAMPLES)[:2]
    photo = tmp_path / "class-photo.jpg"
    sample_image(other).convert("RGB").save(photo)
    started = time.monotonic()
    with replicas.replicas(2) as cluster, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            print(f"\n{time.monotonic() - started:5.1f} s  replicas and nginx up at {cluster.url}")
            upload, upload_route = _session_on(browser, cluster, STOPPED, watch=True)
            training, training_route = _session_on(browser, cluster, KEPT)
            download, download_route = _session_on(browser, cluster, KEPT)
            # The training: two runs of 8 epochs, 5-20 s here: longer than the stop takes (the check below: still
            # training at the SIGTERM), and short enough not to be most of the test (30 epochs each took a minute).
            _open((upload, f"{cluster.url}/image-predictions", "What do the networks see in a photo?"),
                  (training, f"{cluster.url}/train-lenet?activation=both&epochs=8", "LeNet-5 trained live"),
                  (download, f"{cluster.url}/lenet5?tab=graph", "LeNet-5"))
            print(f"{time.monotonic() - started:5.1f} s  three sessions open, each on its replica")

            _upload_to_top5(upload, photo)
            assert "digraph" in _download_dot(download)
            training.get_by_role("button", name=re.compile(r"(^|\s)Train$")).click()
            training.get_by_test_id("stProgress").wait_for()
            _no_error_box(upload, training, download)
            for page, route, replica in ((upload, upload_route, STOPPED), (training, training_route, KEPT),
                                         (download, download_route, KEPT)):
                assert cluster.replica_of(route) == replica, f"{page.url} left its replica before the stop"
            print(f"{time.monotonic() - started:5.1f} s  top-5 of an upload, a DOT download, a training under way")

            stopped_at, stopped_wall_ms = time.monotonic(), time.time() * 1000
            cluster.replicas[STOPPED].process.terminate()  # SIGTERM, as Docker and Kubernetes stop a container
            still_training = training.locator(IDLE).count() == 0
            cluster.stop(STOPPED)  # waits for it to end
            assert not replicas.answers(cluster.replicas[STOPPED].url)
            print(f"{time.monotonic() - started:5.1f} s  replica {STOPPED} stopped (SIGTERM) in "
                  f"{time.monotonic() - stopped_at:.1f} s; the training on replica {KEPT} running at the SIGTERM: "
                  f"{still_training}")
            assert still_training, "the training ended before the stop: nothing shows that it went on"

            # The kept replica's sessions go on: the training streams to its end, the download works again.
            training.get_by_text("Test accuracy").first.wait_for()
            assert "digraph" in _download_dot(download)
            _no_error_box(training, download)
            assert cluster.replica_of(training_route) == KEPT and cluster.replica_of(download_route) == KEPT
            print(f"{time.monotonic() - started:5.1f} s  training finished, DOT downloaded again, on replica {KEPT}")

            # A newcomer lands on the kept replica.
            newcomer = browser.new_context(locale="en-US").new_page()
            newcomer.set_default_timeout(TIMEOUT_MS)
            _open((newcomer, cluster.url, "cnnviz — classic CNN architectures, live"))
            assert _served_by(cluster, _route(newcomer.context), KEPT) == KEPT
            _no_error_box(newcomer)
            print(f"{time.monotonic() - started:5.1f} s  a new session landed on replica {KEPT}")

            # The stopped replica's student: Streamlit reconnects through the proxy, to a new session on the kept
            # replica. The page stays as it was until the student acts; the first action runs there.
            try:
                assert _served_by(cluster, upload_route, KEPT, timeout_s=60) == KEPT, "no request reached replica 1"
                upload.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
                _no_error_box(upload)
                upload.get_by_test_id("stRadio").get_by_text("Sample photo", exact=True).click()
                upload.get_by_text(f"{SAMPLES[first].source} ·").wait_for()  # a new session's photo: the first sample
                upload.wait_for_function(FRESH_TOP5, arg=IDLE, polling=100)
                _no_error_box(upload)
                _upload_to_top5(upload, photo)
                _no_error_box(upload)
            except Exception as error:
                upload.screenshot(path=tmp_path / "reconnect.png", full_page=True)
                raise AssertionError(f"{type(error).__name__}: {str(error).splitlines()[0]}\n"
                                     + _diagnosis(upload, cluster, upload_route)) from None
            after_stop = [f"{(at - stopped_wall_ms) / 1000:+.1f} s {what}"
                          for what, at in upload.evaluate("window.__seen") if at >= stopped_wall_ms]
            print(f"{time.monotonic() - started:5.1f} s  the stopped replica's student, seconds from the stop: "
                  + ", ".join(after_stop) + f"; then a sample photo, then an upload to top-5, on replica {KEPT}")
        finally:
            browser.close()


# --- A live class on two replicas sharing PostgreSQL, one of them stopped mid-question ---

ANSWERED = '[data-testid="stMetric"]:has-text("Answered") [data-testid="stMetricValue"]'


def _answered(page) -> int:
    text = page.locator(ANSWERED).first.inner_text(timeout=TIMEOUT_MS).strip()
    return int(text) if text.isdigit() else -1


def _wait_answered(page, count: int, timeout_s: float) -> float:
    """Seconds until the projector shows ``count`` answers (AssertionError past ``timeout_s``)."""
    started = time.monotonic()
    while _answered(page) != count:
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"the projector shows {_answered(page)} answers, not {count}, after {timeout_s} s")
        time.sleep(0.05)
    return time.monotonic() - started


def _send_answer(page, value: int) -> None:
    """Type ``value`` and send it; once more if the page was reconnecting (a new session takes the first action
    as its first run)."""
    for _attempt in range(3):
        page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
        page.wait_for_selector(IDLE)
        field = page.locator('[data-testid="stNumberInput"] input').first
        field.fill(str(value))
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector(IDLE)
        try:
            page.get_by_text(f"Your answer {value} is in").wait_for(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 — the page was drawn again by the new session: send again
            continue
    raise AssertionError(f"{page.url}: the answer {value} was not confirmed")


@pytest.mark.slow
def test_two_replicas_run_a_live_class_and_lose_no_answer_when_one_stops(tmp_path, monkeypatch):
    """The projector on replica A sees an answer sent on replica B within 2 s; B stops mid-question: its students'
    pages reconnect to A, the answer sent on B is still counted, and a student answers through A."""
    from cnnviz.classroom import rooms, store
    from deploy import replicas
    from tests import postgres
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_available

    require(chromium_available(), "Debian chromium is not installed (apt-get install -y chromium)")
    require(replicas.nginx_available(), "nginx is not installed (apt-get install -y nginx)")
    require(postgres.binaries() is not None, f"PostgreSQL is not installed ({postgres.INSTALL})")
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    with postgres.cluster() as pg, sync_playwright() as playwright:
        url = pg.new_database()
        monkeypatch.setenv("CNNVIZ_DATABASE_URL", url)  # the replicas inherit it
        engine = store.make_engine()
        store.use_engine(engine)
        room = rooms.start_class("test")
        rooms.ask(room.code, room.key, {"kind": "output_size", "W": 224, "F": 3, "P": 1, "S": 2})  # 112
        with replicas.replicas(2) as cluster:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            projector = early = late = None
            try:
                print(f"\n{time.monotonic() - started:5.1f} s  PostgreSQL, two replicas and nginx up")
                projector, projector_route = _session_on(browser, cluster, KEPT)
                early, early_route = _session_on(browser, cluster, STOPPED, watch=True)
                late, late_route = _session_on(browser, cluster, STOPPED)
                _open((projector, f"{cluster.url}/class?room={room.code}&key={room.key}", "Live class"),
                      (early, f"{cluster.url}/class?room={room.code}", "Live class"),
                      (late, f"{cluster.url}/class?room={room.code}", "Live class"))
                _wait_answered(projector, 0, 10)

                _send_answer(early, 112)
                lag = _wait_answered(projector, 1, 10)
                print(f"{time.monotonic() - started:5.1f} s  an answer on replica {STOPPED} on the projector on "
                      f"replica {KEPT} after {lag:.2f} s")
                assert lag <= 2.0, f"the projector showed the answer after {lag:.2f} s"
                for route, replica in ((projector_route, KEPT), (early_route, STOPPED), (late_route, STOPPED)):
                    assert cluster.replica_of(route) == replica

                cluster.stop(STOPPED)
                assert not replicas.answers(cluster.replicas[STOPPED].url)
                print(f"{time.monotonic() - started:5.1f} s  replica {STOPPED} stopped mid-question")
                assert _answered(projector) == 1, "the answer sent on the stopped replica is gone"
                _send_answer(late, 111)  # through the kept replica
                assert _served_by(cluster, late_route, KEPT, timeout_s=30) == KEPT
                lag = _wait_answered(projector, 2, 10)
                assert lag <= 2.0, f"the projector showed the answer after {lag:.2f} s"
                early.reload()  # the stopped replica's first student, on the kept replica: still counted
                early.get_by_text("Your answer 112 is in").wait_for()
                assert _served_by(cluster, early_route, KEPT, timeout_s=30) == KEPT
                projector.get_by_role("button", name="Reveal").click()
                projector.get_by_text("1 forgot the padding").wait_for()
                _no_error_box(projector, early, late)
                print(f"{time.monotonic() - started:5.1f} s  both answers counted on replica {KEPT}; revealed")
            except Exception:
                for name, page in (("projector", projector), ("early", early), ("late", late)):
                    if page is not None:
                        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
                raise
            finally:
                browser.close()
                store.use_engine(None)
                engine.dispose()

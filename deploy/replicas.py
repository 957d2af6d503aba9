"""Several app replicas behind nginx on this machine, without containers: the local proof of deploy/compose.yaml.

    python deploy/replicas.py [--replicas 2]

starts that many ``streamlit run app.py`` processes on free loopback ports and Debian's nginx in front of them with
deploy/nginx.conf, the proxy configuration compose uses (only its listen address and server list are filled in
differently), prints the proxy's URL and serves until Ctrl+C. nginx runs as the calling user: its prefix, pid file,
logs and temporary files live in a temporary folder, removed at the end.

From Python (tests/test_deploy.py)::

    with replicas(2) as cluster:
        cluster.url                 # the proxy
        cluster.replica_of(route)   # which replica served the browser whose cnnviz_route cookie is ``route``
        cluster.stop(0)             # stop a replica, as a crash or a scale-down would

    with proxy(["127.0.0.1:8501"]) as (url, access_log):   # the proxy alone, in front of any server
        ...
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf"
HEALTH = "/_stcore/health"
# Debian installs nginx in /usr/sbin, which is not on a normal user's PATH.
NGINX = os.environ.get("CNNVIZ_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"

# The process plumbing around the shared file, for a user process: everything nginx writes stays in ``work``.
# (In compose the nginx image's own nginx.conf plays this part and includes the rendered file from conf.d.)
MAIN_CONFIG = """\
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/cnnviz.conf;
}}
"""


def nginx_available() -> bool:
    return Path(NGINX).is_file() and os.access(NGINX, os.X_OK)


def render(listen: str, servers: list[str]) -> str:
    """deploy/nginx.conf with its placeholders filled in, as the nginx image's envsubst step fills them in."""
    values = {"CNNVIZ_LISTEN": listen, "CNNVIZ_SERVERS": " ".join(f"server {s};" for s in servers)}
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


def write_config(work: Path, listen: str, servers: list[str]) -> Path:
    """The main configuration and the rendered deploy/nginx.conf in ``work``; returns the main one's path."""
    (work / "cnnviz.conf").write_text(render(listen, servers))
    main = work / "nginx.conf"
    main.write_text(MAIN_CONFIG.format(work=work))
    return main


def nginx_command(work: Path, *extra: str) -> list[str]:
    # -e: the error log from the very start (before the configuration is read, the default is under /var/log).
    return [NGINX, "-p", f"{work}/", "-c", str(work / "nginx.conf"), "-e", str(work / "error.log"), *extra]


def check_config(work: Path, listen: str, servers: list[str]) -> subprocess.CompletedProcess:
    """``nginx -t`` on deploy/nginx.conf filled in with ``listen`` and ``servers`` (output in .stderr)."""
    write_config(work, listen, servers)
    return subprocess.run(nginx_command(work, "-t"), capture_output=True, text=True, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url + HEALTH, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class Replica:
    """One ``streamlit run app.py`` on a loopback port; its log (stderr) in ``log``."""
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, as Docker and Kubernetes stop a container; SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:  # still finishing the warm-up step it was in
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Cluster:
    url: str
    replicas: list[Replica]
    work: Path
    access_log: Path

    def stop(self, index: int) -> None:
        self.replicas[index].stop()

    def replica_of(self, route: str) -> int | None:
        """The replica that served the last logged request of the browser with this route cookie, else None."""
        ports = {str(r.port): i for i, r in enumerate(self.replicas)}
        served = None
        for line in self.access_log.read_text(errors="replace").splitlines():
            found = re.search(r" route=(\S+) upstream=(.+?) time=", line)
            if found and found.group(1) == route:
                # After a failed try nginx logs every address it tried ("a:1, b:2"): the last one answered.
                port = found.group(2).split(",")[-1].strip().rsplit(":", 1)[-1]
                served = ports.get(port, served)
        return served


def _start_replica(work: Path, number: int, root: Path) -> Replica:
    port, log = free_port(), work / f"replica-{number}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    return Replica(port, process, log)


def _wait_until_up(urls_and_processes: list[tuple[str, subprocess.Popen]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(urls_and_processes)
    while waiting:
        url, process = waiting[0]
        if answers(url, timeout=1):
            waiting.pop(0)
        elif process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} {url} did not start (exit status {process.poll()})")
        else:
            time.sleep(0.2)


def _stop_nginx(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # fast shutdown: open WebSockets are closed, not waited for
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _work_folder() -> Path:
    if not nginx_available():
        raise RuntimeError(f"nginx is not installed at {NGINX} (Debian: apt-get install nginx)")
    work = Path(tempfile.mkdtemp(prefix="cnnviz-replicas-"))
    # When run as root, nginx's workers drop to an unprivileged user that must reach the temporary files.
    work.chmod(0o755)
    return work


def _start_nginx(work: Path, servers: list[str]) -> tuple[str, subprocess.Popen, Path]:
    """nginx with deploy/nginx.conf in front of ``servers`` on a free loopback port: (URL, process, access log).
    Up once it answers: the caller's servers must be up (its health request goes through to one of them)."""
    port = free_port()
    write_config(work, f"127.0.0.1:{port}", servers)
    access_log = work / "access.log"
    # The shared file logs to /dev/stdout (a container's log); here that is this file.
    with access_log.open("w") as stdout:
        nginx = subprocess.Popen(nginx_command(work), stdout=stdout, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up([(url, nginx)], 30, "nginx")
    except RuntimeError:
        _stop_nginx(nginx)
        raise
    return url, nginx, access_log


@contextlib.contextmanager
def proxy(servers: list[str]):
    """deploy/nginx.conf alone in front of ``servers`` (``host:port`` that answer /_stcore/health): yield its URL
    and its access log. For the proxy's own behaviour (cookies, limits) without starting the app."""
    work = _work_folder()
    nginx = None
    try:
        url, nginx, access_log = _start_nginx(work, servers)
        yield url, access_log
    finally:
        if nginx is not None:
            _stop_nginx(nginx)
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def replicas(count: int = 2, timeout: float = 120, root: Path = ROOT, keep: bool = False):
    """Start ``count`` app replicas and nginx in front of them; yield a ``Cluster``. ``keep``: leave the
    temporary folder (logs, rendered configuration) in place, and say where it is."""
    work = _work_folder()
    started: list[Replica] = []
    nginx = None
    try:
        started = [_start_replica(work, number, root) for number in range(1, count + 1)]
        _wait_until_up([(r.url, r.process) for r in started], timeout, "the replica")
        url, nginx, access_log = _start_nginx(work, [r.address for r in started])
        yield Cluster(url, started, work, access_log)
    finally:
        if nginx is not None:
            _stop_nginx(nginx)
        for replica in started:
            replica.stop()
        if keep:
            print(f"logs and configuration kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="app processes behind the proxy (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and the rendered configuration")
    args = parser.parse_args()
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` cleans up as Ctrl+C does
    try:
        with replicas(args.replicas, keep=args.keep) as cluster:
            for number, replica in enumerate(cluster.replicas, 1):
                print(f"replica {number}: {replica.url}")
            print(f"open {cluster.url}  (access log: {cluster.access_log}; Ctrl+C stops)", flush=True)
            while all(r.process.poll() is None for r in cluster.replicas):
                time.sleep(1)
            print("a replica has stopped; stopping the rest", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main()

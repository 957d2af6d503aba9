"""A throw-away PostgreSQL cluster for the class's tests and bench/class_live.py: Debian's ``postgresql`` (initdb and
pg_ctl) in a temporary folder, on a free loopback port, trusted local logins, removed at the end. PostgreSQL refuses
to run as root: as root the cluster runs as ``nobody``.

    with cluster() as pg:
        url = pg.new_database()    # postgresql://cnnviz@127.0.0.1:PORT/NAME, a fresh empty database
        pg.stop(); pg.start()      # a restart in the middle of a class
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.browser import free_port

INSTALL = "apt-get install -y postgresql"
USER = "cnnviz"  # the cluster's superuser


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "nobody", "--", *command]


@dataclass
class Cluster:
    bin: Path
    data: Path
    log: Path
    port: int
    sockets: Path

    @property
    def base_url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off " \
                  "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        return subprocess.run(_as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                         "-o", options, *args]), capture_output=True, text=True, timeout=120,
                              check=check)

    def start(self) -> None:
        self._pg_ctl("-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-m", mode, "stop", check=False)

    def new_database(self) -> str:
        import psycopg

        name = f"t{time.time_ns()}"
        with psycopg.connect(f"{self.base_url}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base_url}/{name}"


@contextlib.contextmanager
def cluster():
    """A started cluster (see the module); RuntimeError where PostgreSQL is not installed."""
    folder = binaries()
    if folder is None:
        raise RuntimeError(f"PostgreSQL is not installed ({INSTALL})")
    work = Path(tempfile.mkdtemp(prefix="cnnviz-pg-"))
    work.chmod(0o755)
    data, sockets, log = work / "data", work / "sockets", work / "postgres.log"
    sockets.mkdir()
    log.touch()
    if os.geteuid() == 0:
        shutil.chown(work, "nobody")
        shutil.chown(sockets, "nobody")
        shutil.chown(log, "nobody")
    pg = Cluster(folder, data, log, free_port(), sockets)
    try:
        subprocess.run(_as_owner([str(folder / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
                                  "--no-sync"]), capture_output=True, text=True, timeout=120, check=True)
        pg.start()
        yield pg
    finally:
        pg.stop("immediate")
        shutil.rmtree(work, ignore_errors=True)

"""Untrusted files are parsed and analysed in a worker process that cannot hurt the server: its address space and
CPU time are capped (``setrlimit``), its working directory is an empty scratch folder (a relative path in a file
names nothing of the app's), and a wall-clock limit ends it. A bomb costs one worker for a bounded time; the caller
gets ``OverLimit`` and shows one line.

Workers are forked from a fork server (``cnnviz.sandbox_server``, a process of its own with no threads) that
imported the job modules once: a job starts in milliseconds, and never from the app's own threads (forking a
threaded server can copy a held lock). The file's bytes reach the worker after its limits are set, so they count
against it. Written here rather than with ``multiprocessing``'s forkserver: that one runs the program's main script
again in every worker (``streamlit``'s, pytest's) and cannot report a killed worker's peak memory.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

MIB = 2**20


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1024  # address space the job may add to what the worker starts with
    cpu_s: int = 30
    wall_s: float = 60.0

    @classmethod
    def from_env(cls, **defaults) -> Limits:
        """``CNNVIZ_WORKER_MEMORY_MB`` / ``CNNVIZ_WORKER_CPU_S`` override the defaults (an operator's knob)."""
        from cnnviz.work_queue import whole_from_env

        limits = cls(**defaults)
        memory = whole_from_env("CNNVIZ_WORKER_MEMORY_MB", limits.memory_mb, 1, "{fallback} MB")
        cpu = whole_from_env("CNNVIZ_WORKER_CPU_S", limits.cpu_s, 1, "{fallback} s")
        return cls(memory, cpu, max(limits.wall_s, 2.0 * cpu))


class OverLimit(RuntimeError):
    """The job needed more than its worker may have: ``what`` is "memory" or "time" (or "crash": the worker
    stopped on a signal of its own)."""

    def __init__(self, what: str, limits: Limits, peak_mb: float = 0.0) -> None:
        super().__init__(f"the worker ran out of {what} (limits: {limits.memory_mb} MB, {limits.cpu_s} s CPU)")
        self.what, self.limits, self.peak_mb = what, limits, peak_mb


@dataclass
class Outcome:
    """What a job did, for the bench and the tests: its value or its exception, its seconds and the worker's memory
    (resident set: at its start and at its peak, MB)."""

    value: object
    error: BaseException | None
    seconds: float
    start_mb: float
    peak_mb: float

    @property
    def added_mb(self) -> float:
        return max(0.0, self.peak_mb - self.start_mb)


_server_lock = threading.Lock()
_server: subprocess.Popen | None = None
_socket_path = ""


def start() -> str:
    """The fork server's socket, starting the server if it is not running (its imports take seconds: the app's
    warm-up calls this)."""
    global _server, _socket_path
    with _server_lock:
        if _server is None or _server.poll() is not None:
            folder = tempfile.mkdtemp(prefix="cnnviz-sandbox-")  # mode 0700: only this user reaches the socket
            _socket_path = os.path.join(folder, "socket")
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where ``cnnviz`` is imported from
            path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
            environment = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": path}
            _server = subprocess.Popen([sys.executable, "-m", "cnnviz.sandbox_server", _socket_path], cwd=folder,
                                       env=environment, stdin=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 120
            while not os.path.exists(_socket_path + ".ready"):
                if _server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox server did not start")
                time.sleep(0.05)
        return _socket_path


def run(job: str, data: bytes, limits: Limits, **options) -> object:
    """``job(data, **options)`` in a limited worker: its value, or its own exception raised here again, or
    ``OverLimit``. ``job`` names a function of ``cnnviz.sandbox_jobs``."""
    outcome = measure(job, data, limits, **options)
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def measure(job: str, data: bytes, limits: Limits, **options) -> Outcome:
    """As ``run``, with the exception and the worker's memory and time returned rather than raised."""
    began = time.monotonic()
    for attempt in range(2):  # a server that died (or was killed) is started again once
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(start())
                _send(connection, pickle.dumps((job, options, limits)))
                try:
                    _send(connection, data)
                    connection.shutdown(socket.SHUT_WR)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker ended before it read the whole file (its limit): its status says why
                connection.settimeout(limits.wall_s + 10)  # the server ends the worker at wall_s itself
                report, status = None, None
                with connection.makefile("rb") as stream:
                    while (message := _receive(stream)) is not None:
                        kind, value = pickle.loads(message)
                        if kind == "report":
                            report = value
                        else:
                            status = value
            break
        except (ConnectionError, FileNotFoundError, socket.timeout):
            if attempt:
                raise
            _forget_server()
    seconds = time.monotonic() - began
    signal_number, timed_out, peak_mb = status or (0, False, 0.0)
    if report is None:
        return Outcome(None, OverLimit(_why(signal_number, timed_out), limits, peak_mb), seconds, 0.0, peak_mb)
    outcome, value, start_mb = report
    if outcome == "memory":
        return Outcome(None, OverLimit("memory", limits, peak_mb), seconds, start_mb, peak_mb)
    if outcome == "error":
        return Outcome(None, value, seconds, start_mb, peak_mb)
    return Outcome(value, None, seconds, start_mb, peak_mb)


def _forget_server() -> None:
    global _server
    with _server_lock:
        if _server is not None and _server.poll() is None:
            _server.kill()
        _server = None


def _why(signal_number: int, timed_out: bool) -> str:
    """Why a worker ended without a report: its wall-clock limit or its CPU limit (SIGXCPU, then the hard limit's
    SIGKILL) is time; an abort (C++'s bad_alloc under the address-space cap) or a failed allocation is memory."""
    if timed_out or signal_number in (signal.SIGXCPU, signal.SIGKILL):
        return "time"
    if signal_number in (signal.SIGABRT, 0):
        return "memory"
    return "crash"


def _send(connection: socket.socket, payload: bytes) -> None:
    connection.sendall(struct.pack(">Q", len(payload)))
    connection.sendall(payload)


def _receive(stream) -> bytes | None:
    header = stream.read(8)
    if len(header) < 8:
        return None
    (length,) = struct.unpack(">Q", header)
    payload = stream.read(length)
    return payload if len(payload) == length else None

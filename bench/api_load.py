"""HTTP load benchmark: the real server with production settings, driven by wrk.

    python bench/api_load.py [--databases sqlite,postgres] [--connections 50,200]
                             [--duration 20] [--workers 2] [--paced-rps 1000]

For each database it migrates a fresh database, loads the demo data, starts
`handwerkml serve` (no reload, no access log, N workers) and measures
GET /api/v1/projects/{id} and GET /api/v1/projects?limit=20 at each connection
count, as fast as wrk can (closed loop), and GET by id once more paced to about
--paced-rps requests/s, which shows latency below saturation.
Results go to bench/results/api_load-<time>.json and to stdout.
Needs wrk (Debian: `apt-get install wrk`) and, for postgres, a server at
HANDWERKML_BENCH_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

HERE = Path(__file__).parent
RESULTS = HERE / "results"
HANDWERKML = str(Path(sys.executable).with_name("handwerkml"))
PASSWORD = "bench-password-1234"
EMAIL = "admin@bench.handwerkml.de"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg(server_url: str, statement: str) -> None:
    url = make_url(server_url)

    async def run() -> None:
        connection = await asyncpg.connect(
            host=url.host, port=url.port or 5432, user=url.username, database="postgres"
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        return
    server = os.environ.get(
        "HANDWERKML_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    name = f"hwml_bench_{uuid.uuid4().hex[:8]}"
    _pg(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _request(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@contextmanager
def server(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[str]:
    # A file, not a pipe: a pipe nobody reads would block the server once full.
    with log.open("wb") as sink:
        # wrk shares the machine's cores with the server. At a lower priority the server
        # cannot starve wrk and the kernel's loopback processing: without `nice`, 2,500
        # TCP retransmissions in 30 s of saturation made wrk time out now and then.
        process = subprocess.Popen(
            [
                "nice",
                "-n",
                "5",
                HANDWERKML,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _request(f"{base}/health")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(url: str, token: str, connections: int, duration: int, delay_ms: int = 0) -> dict[str, Any]:
    script = HERE / "wrk_report.lua"
    if delay_ms:
        # wrk takes one script: join the pacing hook and the JSON report.
        script = RESULTS / ".wrk_paced_report.lua"
        RESULTS.mkdir(exist_ok=True)
        script.write_text(
            (HERE / "wrk_paced.lua").read_text() + (HERE / "wrk_report.lua").read_text()
        )
    output = subprocess.run(
        [
            "wrk",
            f"-t{min(2, os.cpu_count() or 1)}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"WRK_DELAY_MS": str(delay_ms)},
    ).stdout
    stats: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    stats["rps"] = round(stats["requests"] / stats["duration_s"], 1)
    stats["errors"] = stats["non_2xx"] + sum(stats["socket_errors"].values())
    return stats


def run(
    kind: str, connections: list[int], duration: int, workers: int, paced_rps: int
) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        env = os.environ | {
            "HANDWERKML_DATABASE_URL": url,
            "HANDWERKML_DATA_DIR": tmp,
            "HANDWERKML_ENVIRONMENT": "production",
            "HANDWERKML_DEMO_ADMIN_EMAIL": EMAIL,
            "HANDWERKML_DEMO_ADMIN_PASSWORD": PASSWORD,
        }
        subprocess.run([HANDWERKML, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([HANDWERKML, "demo"], env=env, check=True, capture_output=True)
        with server(env, _free_port(), workers, Path(tmp) / "server.log") as base:
            token = _request(f"{base}/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})[
                "access_token"
            ]
            project_id = _request(f"{base}/api/v1/projects?limit=1", token=token)[0]["id"]
            targets = {
                "GET /api/v1/projects/{id}": f"{base}/api/v1/projects/{project_id}",
                "GET /api/v1/projects?limit=20": f"{base}/api/v1/projects?limit=20",
            }
            for name, url_ in targets.items():
                for count in connections:
                    # Warm-up at the same concurrency: pools grow, caches fill, and the
                    # burst of new connections stays out of the measurement.
                    wrk(url_, token, count, 5)
                    stats = wrk(url_, token, count, duration)
                    row = {"database": kind, "endpoint": name, "connections": count} | stats
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                    if paced_rps and name.endswith("{id}"):
                        # The same connections below saturation: latency without queueing.
                        delay_ms = max(1, round(count / paced_rps * 1000))
                        paced = wrk(url_, token, count, duration, delay_ms)
                        row = {
                            "database": kind,
                            "endpoint": name,
                            "connections": count,
                            "paced_target_rps": paced_rps,
                        } | paced
                        print(json.dumps(row), flush=True)
                        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--connections", default="50,200")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--paced-rps",
        type=int,
        default=1000,
        help="also measure GET by id at about this offered load (0: skip)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    connections = [int(c) for c in args.connections.split(",")]
    rows = []
    for kind in args.databases.split(","):
        rows.extend(run(kind, connections, args.duration, args.workers, args.paced_rps))
    RESULTS.mkdir(exist_ok=True)
    result = {
        "benchmark": "api_load",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server_workers": args.workers,
        "duration_s": args.duration,
        "results": rows,
    }
    path = RESULTS / f"api_load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

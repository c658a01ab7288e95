"""Shared helpers for the benchmarks: statistics, machine description, subprocesses and a tiny HTTP client.

The HTTP client is a keep-alive HTTP/1.1 client over a raw socket. It costs the load generator far less CPU
than a general-purpose client, which matters on a 2-core machine where client and server share the CPU, and
it is the same for the route under test and its anchor, so their ratio is fair.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
KNOWLEDGE = ROOT / "knowledge"
PY = sys.executable
BIN = Path(sys.executable).parent


# ---------------------------------------------------------------- statistics


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return float(sorted_values[k])


def summarize(samples_ns: Sequence[int | float], scale: float = 1e3) -> dict[str, float]:
    """Median, p99, mean, min and max of nanosecond samples, divided by `scale` (default: microseconds)."""
    s = sorted(samples_ns)
    if not s:
        return {"n": 0}
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    return {"n": len(s), "median": median / scale, "p99": percentile(s, 99) / scale,
            "mean": sum(s) / len(s) / scale, "min": s[0] / scale, "max": s[-1] / scale}


def fmt_time(seconds: float | None) -> str:
    """A duration with a sensible unit."""
    if seconds is None or seconds != seconds:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_mb(n_bytes: float | None) -> str:
    return "n/a" if n_bytes is None else f"{n_bytes / 2**20:.0f} MB"


# ---------------------------------------------------------------- the report


@dataclass
class Row:
    """One figure of the report: the measurement, its anchor from the same run, its target, and the verdict."""

    section: str
    name: str
    value: str
    anchor: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, name: str, value: str, anchor: str = "", target: str = "",
            met: bool | None = None) -> None:
        row = Row(section, name, value, anchor, target, met)
        self.rows.append(row)
        verdict = {True: "MET", False: "MISSED", None: ""}[met]
        extra = "".join(f"  [{k}: {v}]" for k, v in (("anchor", anchor), ("target", target)) if v)
        print(f"  {name}: {value}{extra} {verdict}".rstrip(), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


def machine() -> dict[str, Any]:
    """CPU model, core counts, memory, OS, Python and the versions of the packages that matter."""
    from importlib import metadata

    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
                break
    versions = {}
    for pkg in ("faqbot", "numpy", "scipy", "scikit-learn", "rank-bm25", "pyyaml", "fastapi", "uvicorn",
                "gradio", "httpx", "psutil"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "loadavg_start": list(os.getloadavg()),
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_bytes": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "versions": versions,
    }


# ---------------------------------------------------------------- processes


def run_json(args: list[str], timeout: float, env: dict[str, str] | None = None) -> tuple[dict[str, Any] | None, str]:
    """Run a child that prints one JSON object on its last stdout line; return (object or None, error text)."""
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return _last_json(out), f"timed out after {timeout:.0f} s"
    result = _last_json(proc.stdout)
    if proc.returncode != 0 or result is None:
        return result, f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-1500:]}"
    return result, ""


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        with contextlib.suppress(ValueError):
            obj = json.loads(line)
            if isinstance(obj, dict):
                return obj
    return None


def rss_tree(pid: int) -> int:
    """Resident memory of a process and all its children, in bytes."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A web server subprocess on a loopback port, with its output kept in a log file for error messages."""

    def __init__(self, args: list[str], port: int, env: dict[str, str] | None = None) -> None:
        import tempfile

        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="faqbot-bench-", suffix=".log", delete=False)  # noqa: SIM115
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                                     start_new_session=True)
        self.ready_after: float | None = None

    def wait_ready(self, path: str = "/api/health", timeout: float = 60.0) -> float:
        """Poll `path` until it answers 200; return seconds since the process was started."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with Conn(self.port, timeout=2) as c:
                    status, _ = c.request("GET", path)
                if status == 200:
                    self.ready_after = time.perf_counter() - self.started
                    return self.ready_after
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{self.tail()}")

    def rss(self) -> int:
        return rss_tree(self.proc.pid)

    def tail(self, n: int = 3000) -> str:
        self.log.flush()
        try:
            return Path(self.log.name).read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        import signal

        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # the server's own process group (its workers)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- a minimal keep-alive HTTP/1.1 client


class Conn:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port. `request` returns (status, body bytes)."""

    def __init__(self, port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> Conn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(self, method: str, path: str, body: bytes | None = None) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return (head + "\r\n").encode() + (body or b"")

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        return self.send(self.build(method, path, body))

    def send(self, raw: bytes) -> tuple[int, bytes]:
        self.sock.sendall(raw)
        head = self._until(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._until(b"\r\n")
                    break
                parts.append(self._exactly(size))
                self._exactly(2)
            body = b"".join(parts)
        elif length is not None:
            body = self._exactly(length)
        else:
            body = self._rest()
            close = True
        if close:  # the reply came; the next request needs a new connection
            self.closed = True
            self.close()
        return status, body

    def _recv(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionResetError("connection closed by server")
        self.buf += data

    def _until(self, sep: bytes) -> bytes:
        while True:
            at = self.buf.find(sep)
            if at >= 0:
                out, self.buf = self.buf[:at], self.buf[at + len(sep):]
                return out
            self._recv()

    def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._recv()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _rest(self) -> bytes:
        with contextlib.suppress(ConnectionResetError):
            while True:
                self._recv()
        out, self.buf = self.buf, b""
        return out


@dataclass
class LoadResult:
    clients: int
    seconds: float
    latencies_ns: list[int]
    status: dict[int, int]
    errors: dict[str, int]
    checked: int = 0
    mismatched: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return len(self.latencies_ns)

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        lat = summarize(self.latencies_ns, scale=1e6)  # milliseconds
        return {"clients": self.clients, "seconds": round(self.seconds, 3), "requests": self.completed,
                "rps": round(self.rps, 1), "latency_ms": {k: round(v, 3) for k, v in lat.items()},
                "status": {str(k): v for k, v in sorted(self.status.items())}, "errors": self.errors,
                "checked": self.checked, "mismatched": self.mismatched, "examples": self.examples[:5]}


# A request factory gives, for (client number, request number), the raw request and an optional check of the
# reply body returning an error description (or None when the reply is right).
RequestFactory = Callable[[Conn, int, int], tuple[bytes, Callable[[bytes], str | None] | None]]


def run_load(port: int, clients: int, seconds: float, max_requests: int, factory: RequestFactory,
             timeout: float = 30.0) -> LoadResult:
    """`clients` threads, each with its own keep-alive connection, send requests back to back until
    `seconds` have passed or `max_requests` have been sent in all; each request's latency is recorded."""
    lock = threading.Lock()
    latencies: list[list[int]] = [[] for _ in range(clients)]
    status: dict[int, int] = {}
    errors: dict[str, int] = {}
    counters = {"sent": 0, "checked": 0, "mismatched": 0}
    examples: list[str] = []
    start_barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def count(d: dict, key: Any) -> None:
        with lock:
            d[key] = d.get(key, 0) + 1

    def client(cid: int) -> None:
        conn: Conn | None = None
        mine = latencies[cid]
        i = 0
        start_barrier.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                if counters["sent"] >= max_requests:
                    break
                counters["sent"] += 1
            try:
                if conn is None or conn.closed:
                    conn = Conn(port, timeout=timeout)
                raw, check = factory(conn, cid, i)
                t0 = time.perf_counter_ns()
                code, body = conn.send(raw)
                mine.append(time.perf_counter_ns() - t0)
                count(status, code)
                if check is not None and code == 200:
                    problem = check(body)
                    with lock:
                        counters["checked"] += 1
                        if problem:
                            counters["mismatched"] += 1
                            if len(examples) < 5:
                                examples.append(problem)
            except (OSError, ValueError, IndexError) as exc:  # lost reply: reset, timeout, garbled
                count(errors, type(exc).__name__)
                if conn is not None:
                    conn.close()
                conn = None
            i += 1
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    deadline[0] = t0 + seconds
    start_barrier.wait()
    for t in threads:
        t.join(seconds + timeout + 5)
    elapsed = time.perf_counter() - t0
    return LoadResult(clients, elapsed, [x for lst in latencies for x in lst], status, errors,
                      counters["checked"], counters["mismatched"], examples)

"""The tickets API: list and create server time, creates/s over HTTP, web worker peak RSS.

Usage (after `opora seed_demo && opora seed_bench --tickets 1000000` on the same DATABASE_URL):
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_api.py \\
        [--runs 60] [--creates 300] [--seconds 20] [--concurrency 16]

1. Server time in-process: requests go through the whole Django stack (middleware,
   token auth, ninja) via the test client, so the numbers exclude the network.
2. Over real HTTP: `gunicorn opora.wsgi` with 2 worker processes (4 threads each,
   as `opora serve` runs it) on 127.0.0.1, fired at by `--concurrency` client
   threads for `--seconds`; then each worker's peak RSS (VmHWM in /proc).

The first run tags every 100th ticket «vip» (the seed has no tags) so the tag
filter has something to find. Every create adds a real ticket to the database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402

from opora.accounts.models import ApiToken, Team, User  # noqa: E402
from opora.accounts.services import api_token_create  # noqa: E402
from opora.clients.models import Contact  # noqa: E402
from opora.tickets.models import Tag, Ticket  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def tag_every_100th_ticket() -> None:
    tag, _created = Tag.objects.get_or_create(name="vip")
    through = Ticket.tags.through
    if through.objects.filter(tag=tag).exists():
        return
    ids = Ticket.objects.annotate(rest=F("id") % 100).filter(rest=0).values_list("id", flat=True)
    through.objects.bulk_create(
        [through(ticket_id=pk, tag_id=tag.pk) for pk in ids.iterator()], batch_size=5000
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_ticket_tags")


def measure_get(client: Client, path: str, params: dict[str, str], runs: int) -> list[float]:
    client.get(path, params)  # warm caches and connections
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return times


def create_body(contact: Contact, team: Team, n: int) -> dict[str, object]:
    return {
        "subject": f"Бенчмарк API #{n}",
        "body": "Не проходит оплата картой, ошибка 3DS.",
        "type": "standard",
        "priority": "normal",
        "requester_id": contact.pk,
        "team_id": team.pk,
        "tags": ["api-bench"],
    }


def measure_create(client: Client, contact: Contact, team: Team, runs: int) -> list[float]:
    times = []
    for n in range(runs + 1):
        body = json.dumps(create_body(contact, team, n))
        started = time.perf_counter()
        response = client.post("/api/v1/tickets", body, content_type="application/json")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, (response.status_code, response.content[:300])
        if n:  # the first one warms up
            times.append(elapsed)
    return times


# --- Over HTTP ---------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may contain spaces, so split after the «)».
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def processes_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of `pids` (processes that ended meanwhile count as 0)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def wait_until_up(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def fire(
    port: int, token: str, contact: Contact, team: Team, seconds: float, concurrency: int
) -> tuple[int, int, float, list[float]]:
    """POST tickets from `concurrency` keep-alive connections; (ok, failed, elapsed, ms)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"ok": 0, "failed": 0}
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, ok, failed, n = [], 0, 0, 0
        start.wait()
        while time.perf_counter() < deadline[0]:
            body = json.dumps(create_body(contact, team, index * 1_000_000 + n))
            n += 1
            began = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/tickets", body, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - began) * 1000)
            if response.status == 201:
                ok += 1
            else:
                failed += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            counts["ok"] += ok
            counts["failed"] += failed

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return counts["ok"], counts["failed"], elapsed, latencies


def http_bench(
    token: str, contact: Contact, team: Team, seconds: float, concurrency: int, port: int
) -> None:
    log_path = Path(tempfile.gettempdir()) / "bench-api-gunicorn.log"
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "opora.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--access-logfile",
        "-",
    ]
    with open(log_path, "w") as log:
        # Fixed arguments: our own interpreter and gunicorn.
        server = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            wait_until_up(port)
            workers = children(server.pid)
            assert len(workers) == 2, workers
            fire(port, token, contact, team, 2, concurrency)  # warm both workers up
            postgres = processes_named("postgres")
            cpu_before = cpu_seconds(workers), cpu_seconds(postgres), time.process_time()
            ok, failed, elapsed, latencies = fire(port, token, contact, team, seconds, concurrency)
            cpu_after = cpu_seconds(workers), cpu_seconds(postgres), time.process_time()
            peaks = {pid: status_kb(pid, "VmHWM") / 1024 for pid in workers}
            now = {pid: status_kb(pid, "VmRSS") / 1024 for pid in workers}
            master = status_kb(server.pid, "VmHWM") / 1024
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    p50, p95 = percentiles(latencies)
    print(
        f"HTTP: 2 gunicorn workers × 4 threads, {concurrency} client threads, {elapsed:.1f} s: "
        f"{ok} created, {failed} failed, {ok / elapsed:.0f} creates/s, "
        f"client-side latency p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    per_create = [
        (after - before) * 1000 / max(ok, 1)
        for before, after in zip(cpu_before, cpu_after, strict=True)
    ]
    print(
        f"  CPU per create: web workers {per_create[0]:.1f} ms, PostgreSQL {per_create[1]:.1f} ms, "
        f"this load generator {per_create[2]:.1f} ms ({os.cpu_count()} cores shared by all three)"
    )
    for pid in workers:
        print(f"  worker {pid}: peak RSS (VmHWM) {peaks[pid]:.0f} MB, RSS now {now[pid]:.0f} MB")
    print(f"  master {server.pid}: peak RSS {master:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60, help="requests per read case")
    parser.add_argument("--creates", type=int, default=300, help="in-process creates")
    parser.add_argument("--seconds", type=float, default=20, help="HTTP load duration")
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP client threads")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()

    operator = User.objects.filter(role=User.Role.OPERATOR).order_by("pk").first()
    assert operator is not None, "run `opora seed_demo` first"
    token, raw = api_token_create(user=operator, name="bench_api")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw}")
    team = Team.objects.order_by("pk").first()
    contact = Contact.objects.filter(email__endswith="@bench.opora").order_by("pk").first()
    assert team is not None and contact is not None, "run `opora seed_bench` first"
    tag_every_100th_ticket()
    total = Ticket.objects.count()
    middle = Ticket.objects.order_by("pk").values_list("pk", flat=True)[total // 2]
    sample = Ticket.objects.filter(pk__lte=middle).order_by("-pk").first()
    assert sample is not None and sample.client_id is not None

    api = "/api/v1/tickets"
    cases = [
        ("list: active, first page", api, {}),
        ("list: one team, open", api, {"team": str(team.pk), "status": "open"}),
        ("list: mine, active", api, {"assignee": "me"}),
        ("list: one client, all statuses", api, {"client": str(sample.client_id), "status": "all"}),
        ("list: emergency, active", api, {"type": "emergency"}),
        ("list: tag vip, all statuses", api, {"tag": "vip", "status": "all"}),
        ("list: all statuses, deep page", api, {"status": "all", "before": str(middle)}),
        ("list: all statuses, limit 200", api, {"status": "all", "limit": "200"}),
        ("list: search by number", api, {"q": sample.reference, "status": "all"}),
        ("one ticket", f"{api}/{sample.number}", {}),
    ]
    print(
        f"{connection.vendor}, {total} tickets, {args.runs} runs each, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"{'case':<36} {'p50 ms':>8} {'p95 ms':>8}")
    list_p95 = []
    for name, path, params in cases:
        p50, p95 = percentiles(measure_get(client, path, params, args.runs))
        if name.startswith("list"):
            list_p95.append(p95)
        print(f"{name:<36} {p50:8.1f} {p95:8.1f}")
    p50, p95 = percentiles(measure_create(client, contact, team, args.creates))
    print(f"{'create ticket (' + str(args.creates) + ' runs)':<36} {p50:8.1f} {p95:8.1f}")
    print(f"worst list p95: {max(list_p95):.1f} ms")

    if not args.skip_http:
        connection.close()  # the server's workers open their own
        http_bench(raw, contact, team, args.seconds, args.concurrency, args.port)
    ApiToken.objects.filter(pk=token.pk).delete()


if __name__ == "__main__":
    main()

"""The commands `make run` is made of: seed_demo, and serve with its worker and scheduler."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from opora.accounts.models import User
from opora.tickets.models import Ticket


@pytest.mark.django_db
def test_seed_demo_loads_staff_and_tickets_in_every_status_and_can_run_again() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    counts = (User.objects.count(), Ticket.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert (User.objects.count(), Ticket.objects.count()) == counts
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert set(statuses) == set(Ticket.Status.values)
    assert User.objects.filter(email="admin@opora.demo", role=User.Role.ADMIN).exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def opora(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opora.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_serve_answers_runs_jobs_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPORA_", "DATABASE_URL"))}
    env.update(
        {
            "OPORA_DATA_DIR": str(tmp_path),
            "OPORA_SCHEDULER_INTERVAL": "0.5",
            "EMAIL_URL": "dummymail://",
        }
    )
    opora("migrate", "-v", "0", env=env)
    opora("collectstatic", "--noinput", "-v", "0", env=env)
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "opora.cli", "serve", "--port", str(port), "--web-workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        health: dict[str, object] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:  # noqa: S310
                    health = json.loads(response.read())
                jobs = health.get("jobs")
                if isinstance(jobs, dict) and jobs.get("last_heartbeat_at"):
                    break
            except OSError:
                pass
            time.sleep(0.5)
        # The scheduler enqueued the heartbeat and the worker ran it.
        assert health.get("status") == "ok"
        assert isinstance(health.get("jobs"), dict)
        assert health["jobs"]["last_heartbeat_at"]  # type: ignore[index]
    finally:
        os.killpg(server.pid, signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310

"""A real Prometheus Alertmanager for the tests: started on loopback, fed alerts, stopped.

Debian's `prometheus-alertmanager` runs in a temporary folder on a free port, gossip off
(`--cluster.listen-address=`), with one receiver that posts webhooks (optionally with a
Bearer token) and, optionally, PagerDuty Events v2 to a URL the test gives. Groups flush
after 1 s (`group_wait`) and every 2 s (`group_interval`), so a fired alert arrives in
about a second and its resolution on the next tick.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

BINARY = "prometheus-alertmanager"
AMTOOL = "amtool"


class AlertmanagerUnavailable(RuntimeError):
    pass


def find_binary(name: str = BINARY) -> str | None:
    """The Alertmanager (or amtool) binary: $WARROOM_TEST_ALERTMANAGER, else on PATH."""
    if name == BINARY and os.environ.get("WARROOM_TEST_ALERTMANAGER"):
        return os.environ["WARROOM_TEST_ALERTMANAGER"]
    return shutil.which(name) or (shutil.which("alertmanager") if name == BINARY else None)


def need_binary(name: str = BINARY) -> str:
    """The binary's path; skips the test locally (fails under CI=true) when it is missing."""
    from support.outside import need

    found = find_binary(name)
    if found is None:
        package = "prometheus-alertmanager"
        need(name, f"{name} was not found; install the Debian package `{package}`")
        raise AssertionError("unreachable")  # need() skips or fails
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def go_time(at: datetime) -> str:
    """RFC 3339 in UTC with `Z`, as Alertmanager's API reads it."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Alertmanager:
    """One Alertmanager process; `start()` returns once it answers /-/ready."""

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        bearer_token: str | None = None,
        pagerduty_url: str | None = None,
        routing_key: str | None = None,
        receiver: str = "incident-webhook",
        group_by: Sequence[str] = ("alertname", "service"),
        repeat_interval: str = "1h",
        root: Path | None = None,
    ) -> None:
        if webhook_url is None and pagerduty_url is None:
            raise ValueError("give a webhook URL, a PagerDuty URL or both")
        self.webhook_url = webhook_url
        self.bearer_token = bearer_token
        self.pagerduty_url = pagerduty_url
        self.routing_key = routing_key or "0123456789abcdef0123456789abcdef"
        self.receiver = receiver
        self.group_by = list(group_by)
        self.repeat_interval = repeat_interval
        self.root = root or Path(tempfile.mkdtemp(prefix="warroom-am-"))
        self._own_root = root is None
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    # -- configuration ----------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        receiver: dict[str, Any] = {"name": self.receiver}
        if self.webhook_url is not None:
            webhook: dict[str, Any] = {"url": self.webhook_url, "send_resolved": True}
            if self.bearer_token is not None:
                webhook["http_config"] = {
                    "authorization": {"type": "Bearer", "credentials": self.bearer_token}
                }
            receiver["webhook_configs"] = [webhook]
        if self.pagerduty_url is not None:
            receiver["pagerduty_configs"] = [
                {
                    "routing_key": self.routing_key,
                    "url": self.pagerduty_url,
                    "send_resolved": True,
                    "class": "{{ .CommonLabels.alertname }}",
                    "severity": "{{ if .CommonLabels.severity }}{{ .CommonLabels.severity }}"
                    "{{ else }}error{{ end }}",
                }
            ]
        return {
            "route": {
                "receiver": self.receiver,
                "group_by": self.group_by,
                "group_wait": "1s",
                "group_interval": "2s",
                "repeat_interval": self.repeat_interval,
            },
            "receivers": [receiver],
        }

    @property
    def config_path(self) -> Path:
        return self.root / "alertmanager.yml"

    def write_config(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        return self.config_path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "alertmanager.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- running ------------------------------------------------------------------------------
    def start(self, *, timeout: float = 20.0) -> Alertmanager:
        if self.process is not None and self.process.poll() is None:
            return self  # running already: a second process would outlive `stop`
        binary = need_binary()
        self.write_config()
        for _attempt in range(3):  # a free port can be taken between probing and binding
            self.port = _free_port()
            storage = self.root / f"data-{self.port}"
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [
                        binary,
                        f"--config.file={self.config_path}",
                        f"--storage.path={storage}",
                        f"--web.listen-address=127.0.0.1:{self.port}",
                        "--cluster.listen-address=",
                        "--log.level=debug",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_ready(timeout):
                return self
            self._terminate()
        raise AlertmanagerUnavailable(f"Alertmanager did not start:\n{self.log()[-3000:]}")

    def _wait_ready(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def _terminate(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        self._terminate()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Alertmanager:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- alerts -------------------------------------------------------------------------------
    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """POST /api/v2/alerts, as Prometheus does."""
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps(list(alerts)).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise AssertionError(f"Alertmanager answered {response.status}")

    @staticmethod
    def alert(
        labels: Mapping[str, str],
        *,
        annotations: Mapping[str, str] | None = None,
        starts_at: str | None = None,
        ends_at: str | None = None,
        generator_url: str | None = None,
    ) -> dict[str, Any]:
        """One alert as the API takes it; times are RFC 3339 texts (nanoseconds welcome)."""
        body: dict[str, Any] = {"labels": dict(labels), "annotations": dict(annotations or {})}
        if starts_at is not None:
            body["startsAt"] = starts_at
        if ends_at is not None:
            body["endsAt"] = ends_at
        if generator_url is not None:
            body["generatorURL"] = generator_url
        return body

    def fire(self, labels: Mapping[str, str], **kwargs: Any) -> dict[str, Any]:
        alert = self.alert(labels, **kwargs)
        self.post_alerts([alert])
        return alert

    def resolve(
        self,
        labels: Mapping[str, str],
        *,
        starts_at: str | None = None,
        ends_at: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Post the alert again with an end in the past: it resolves on the next tick."""
        ends_at = ends_at or go_time(datetime.now(UTC) - timedelta(seconds=1))
        alert = self.alert(labels, starts_at=starts_at, ends_at=ends_at, **kwargs)
        self.post_alerts([alert])
        return alert


def check_config(path: Path) -> subprocess.CompletedProcess[str]:
    """`amtool check-config` on a config file."""
    return subprocess.run(
        [need_binary(AMTOOL), "check-config", str(path)], capture_output=True, text=True, timeout=60
    )

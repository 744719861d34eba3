"""The REST simulator's side of live mode: serve the released ticks and upload their files."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from retail_platform.local import stack
from retail_platform.local.dataset import RetailDataset, _uci_csv, iso_utc
from retail_platform.local.live import LiveFeed

UPLOAD_POLL_SECONDS = 2.0


class LiveSource:
    """A LiveFeed behind a lock (requests and the upload thread share it)."""

    def __init__(self, feed: LiveFeed, s3_endpoint: str = "", s3_bucket: str = "") -> None:
        self.feed = feed
        self.s3_endpoint = s3_endpoint
        self.s3_bucket = s3_bucket
        self.uploaded: list[str] = []
        self._lock = threading.Lock()
        self._stop_uploads = threading.Event()

    def dataset_now(self) -> RetailDataset:
        with self._lock:
            return self.feed.catch_up(datetime.now(UTC))

    def stop(self) -> None:
        """Freeze the flow: nothing after this instant is released, now or later."""
        with self._lock:
            if self.feed.clock.stopped_at is None:
                self.feed.clock = replace(self.feed.clock, stopped_at=datetime.now(UTC))

    def describe(self) -> dict[str, Any]:
        with self._lock:
            clock = self.feed.clock
            return {
                "started_at": iso_utc(clock.started_at),
                "interval_seconds": int(clock.interval.total_seconds()),
                "stopped_at": iso_utc(clock.stopped_at) if clock.stopped_at else None,
                "ticks_released": self.feed.applied,
                "partner_files_uploaded": list(self.uploaded),
            }

    def start_uploads(self) -> None:
        if not (self.s3_endpoint and self.s3_bucket):
            return
        threading.Thread(target=self._upload_loop, name="live-s3", daemon=True).start()

    def _upload_loop(self) -> None:
        from retail_platform.local.seed import _s3_client  # boto3: only in live mode

        s3: Any = _s3_client(self.s3_endpoint, "us-east-1")
        while not self._stop_uploads.wait(UPLOAD_POLL_SECONDS):
            self.dataset_now()
            with self._lock:
                pending = self.feed.partner_files[len(self.uploaded) :]
            for key, rows in pending:
                s3.put_object(
                    Bucket=self.s3_bucket, Key=key, Body=_uci_csv(rows), ContentType="text/csv"
                )
                self.uploaded.append(key)


def stop_live_flow(state_dir: Path) -> stack.StackState:
    """Freeze live mode: the REST simulator releases nothing more, nor do the S3 uploads or
    the embedded MongoDB of any later run. Raises when no live stack is recorded."""
    state = stack.load_state(Path(state_dir))
    if state is None or not state.live_since:
        raise RuntimeError(f"no live local stack recorded in {state_dir}")
    rest = state.services[stack.REST]
    response = httpx.post(
        f"{rest.url}/admin/live",
        params={"stop": "1"},
        headers={"Authorization": f"Bearer {state.api_token}"},
        timeout=10.0,
    )
    response.raise_for_status()
    state.live_stopped_at = response.json()["stopped_at"]
    stack._state_file(Path(state_dir)).write_text(state.to_json())
    return state

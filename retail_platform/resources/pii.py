"""The PII masking policy and its secret: the only code that holds the HMAC key."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from retail_platform.pii.engine import DEFAULT_POLICY_PATH, apply_policy, load_policy


class PiiMaskingResource(dg.ConfigurableResource):
    hmac_secret: str = Field(description="Key for HMAC tokens; set from an environment variable.")
    policy_path: str | None = Field(
        default=None,
        description="Policy YAML; the packaged retail_platform/pii/policy.yaml if unset.",
    )

    def mask(self, frame: pl.LazyFrame, table: str) -> pl.LazyFrame:
        return apply_policy(frame, table, load_policy(self._path()), self.hmac_secret.encode())

    def policy_version(self) -> str:
        """Short content hash of the policy file, so runs record which policy masked them."""
        return hashlib.sha256(self._path().read_bytes()).hexdigest()[:12]

    def _path(self) -> Path:
        return Path(self.policy_path) if self.policy_path else DEFAULT_POLICY_PATH

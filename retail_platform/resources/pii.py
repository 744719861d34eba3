"""The PII masking policy and its secret: the only code that holds the HMAC key."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import dagster as dg
import polars as pl
import yaml
from pydantic import Field

from retail_platform.pii.engine import (
    DEFAULT_POLICY_PATH,
    MaskingPolicy,
    apply_policy,
    parse_policy,
)


class PiiMaskingResource(dg.ConfigurableResource):
    hmac_secret: str = Field(description="Key for HMAC tokens; set from an environment variable.")
    policy_path: str | None = Field(
        default=None,
        description="Policy YAML; the packaged retail_platform/pii/policy.yaml if unset.",
    )

    def mask(self, frame: pl.LazyFrame, table: str) -> pl.LazyFrame:
        path = self._path()
        policy = _parsed_policy(path.read_text(encoding="utf-8"), str(path))
        return apply_policy(frame, table, policy, self.hmac_secret.encode())

    def policy_version(self) -> str:
        """Short content hash of the policy file, so runs record which policy masked them."""
        return hashlib.sha256(self._path().read_bytes()).hexdigest()[:12]

    def _path(self) -> Path:
        return Path(self.policy_path) if self.policy_path else DEFAULT_POLICY_PATH


@lru_cache(maxsize=4)
def _parsed_policy(text: str, origin: str) -> MaskingPolicy:
    """The policy parsed once per content: every silver asset masks two or three frames per
    run, and parsing the YAML again each time cost more than masking a new day's rows. The
    file is still read on every call, so an edited policy applies at once."""
    return parse_policy(yaml.safe_load(text), origin=origin)

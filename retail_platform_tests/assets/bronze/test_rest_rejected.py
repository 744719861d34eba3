"""A request the API rejects (4xx other than 429) fails the step at once: no retry policy."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from retail_platform.assets.bronze.rest import bronze_payments
from retail_platform.local.stack import StackState
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.rest import CommerceApiResource

pytestmark = pytest.mark.integration


def test_a_401_fails_the_step_once_without_the_step_retry_policy(
    local_stack: StackState, tmp_path: Path
) -> None:
    api = CommerceApiResource(base_url=local_stack.endpoints.rest_base_url, api_token="wrong")
    # bronze_payments declares RetryPolicy(max_retries=2): a retried step would emit
    # STEP_UP_FOR_RETRY and start again; a rejected request must do neither.
    result = dg.materialize(
        [bronze_payments],
        partition_key="2026-10-01",
        resources={"commerce_api": api, "lake": LakeResource(root=str(tmp_path / "lake"))},
        raise_on_error=False,
    )

    assert not result.success
    kinds = [event.event_type_value for event in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in kinds
    assert kinds.count("STEP_START") == 1
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "answered 401" in str(failure.event_specific_data)

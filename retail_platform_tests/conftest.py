"""Shared fixtures: the real local stack and one end-to-end pipeline run over it.

Both are session-scoped: the servers (REST simulator, moto_server, fakesnow) start once, every
integration test reads the same materialized lake and warehouse, and the stack is always stopped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from retail_platform.environment import STATE_DIR_VARIABLE, Environment
from retail_platform.local.generator import RetailDataset, generate
from retail_platform.local.stack import StackConfig, StackState, running_stack
from retail_platform.local.window import DATA_END_VARIABLE, window_start

TEST_SEED = 7
TEST_SCALE = 0.1
# The embedded window rolls with the clock; the suite pins its end so that every run (and
# every stack, daemon and UI process a test starts, which inherit the variable) sees the same
# 13 months of data: 2025-10-01 .. 2026-10-30.
LAST_DAY = date(2026, 10, 30)
os.environ[DATA_END_VARIABLE] = LAST_DAY.isoformat()
FIRST_DAY = window_start(LAST_DAY)


@dataclass(frozen=True)
class PipelineRun:
    stack: StackState
    state_dir: Path
    definitions: dg.Definitions
    instance: dg.DagsterInstance
    rows: dict[str, int]
    dataset: RetailDataset


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackState]:
    state_dir = tmp_path_factory.mktemp("stack")
    config = StackConfig(state_dir=state_dir, seed=TEST_SEED, scale=TEST_SCALE)
    previous = os.environ.get(STATE_DIR_VARIABLE)
    os.environ[STATE_DIR_VARIABLE] = str(state_dir)
    try:
        with running_stack(config) as state:
            yield state
    finally:
        if previous is None:
            os.environ.pop(STATE_DIR_VARIABLE, None)
        else:
            os.environ[STATE_DIR_VARIABLE] = previous


@pytest.fixture(scope="session")
def pipeline_run(local_stack: StackState) -> Iterator[PipelineRun]:
    from retail_platform.definitions import build_definitions
    from retail_platform.local.demo import run_pipeline

    definitions = build_definitions(Environment.LOCAL)
    with dg.DagsterInstance.ephemeral() as instance:
        rows = run_pipeline(definitions, instance, FIRST_DAY, LAST_DAY, echo=lambda _: None)
        yield PipelineRun(
            stack=local_stack,
            state_dir=Path(local_stack.state_dir),
            definitions=definitions,
            instance=instance,
            rows=rows,
            dataset=generate(seed=TEST_SEED, scale=TEST_SCALE),
        )

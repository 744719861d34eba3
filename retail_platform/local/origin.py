"""What the local data set is built from, recorded beside the lake so that nothing mixes.

The stand-ins generate their data from (seed, scale, end date, days). The first stack over a
state folder writes those four values to ``lake/_dataset.json``; every later stack over the
same folder must serve the same data set, or it refuses to start with a message that says how
to reset (``make clean``). Without the record, ``make dev`` at scale 1.0 over a lake that
``make demo SCALE=0.2`` built would quietly mix two data sets in bronze.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from retail_platform.local.window import data_end_date, window_days


class DatasetMismatchError(RuntimeError):
    """The stack would serve another data set than the one the local lake was built from."""


@dataclass(frozen=True)
class DatasetOrigin:
    """What a generated data set is built from: the same four values give the same bytes."""

    seed: int
    scale: float
    end_date: str  # ISO day, the window's last
    days: int

    def describe(self) -> str:
        return f"seed {self.seed}, scale {self.scale:g}, {self.days} days ending {self.end_date}"


LAKE_ORIGIN_FILE = "_dataset.json"


def lake_origin_file(state_dir: Path) -> Path:
    return Path(state_dir) / "lake" / LAKE_ORIGIN_FILE


def recorded_lake_origin(state_dir: Path) -> DatasetOrigin | None:
    path = lake_origin_file(state_dir)
    return DatasetOrigin(**json.loads(path.read_text())) if path.exists() else None


def _lake_has_data(state_dir: Path) -> bool:
    lake = Path(state_dir) / "lake"
    return lake.is_dir() and any(entry.name != LAKE_ORIGIN_FILE for entry in lake.iterdir())


def resolve_origin(
    state_dir: Path, seed: int, scale: float, end_date: date | None, days: int | None
) -> DatasetOrigin:
    """The data set this stack serves; refuses one that differs from the lake's.

    An unpinned window (`end_date` None) takes the lake's recorded one, so a lake built
    yesterday keeps its window today; a new lake takes yesterday (or RETAIL_PLATFORM_DATA_END).
    """
    recorded = recorded_lake_origin(state_dir)
    end = end_date
    if end is None and recorded is not None:
        end = date.fromisoformat(recorded.end_date)
    end = end or data_end_date()
    if days is None:
        same_end = recorded is not None and recorded.end_date == end.isoformat()
        days = recorded.days if same_end else window_days(end)
    wanted = DatasetOrigin(seed, float(scale), end.isoformat(), days)
    if recorded is not None and recorded != wanted:
        raise DatasetMismatchError(_mismatch_message(state_dir, recorded, wanted))
    if recorded is None and _lake_has_data(state_dir):
        raise DatasetMismatchError(
            f"the lake in {Path(state_dir) / 'lake'} holds data but no record of the "
            f"data set it was built from, so a stack serving {wanted.describe()} could mix "
            "two data sets in bronze. Reset the local state with `make clean` (or "
            "`retail-platform stack down` and delete that folder), then start again."
        )
    return wanted


def _mismatch_message(state_dir: Path, recorded: DatasetOrigin, wanted: DatasetOrigin) -> str:
    return (
        f"the local lake in {Path(state_dir) / 'lake'} was built from {recorded.describe()}, "
        f"but this stack would serve {wanted.describe()}: bronze would mix two data sets. "
        f"Either use the lake's values (`make dev SCALE={recorded.scale:g}`, or "
        f"--seed {recorded.seed} --scale {recorded.scale:g} --end-date {recorded.end_date} "
        f"--days {recorded.days}), or reset the local state with `make clean` (deletes the "
        "lake, the warehouse and the Dagster history under .local) and start again."
    )


def record_lake_origin(state_dir: Path, origin: DatasetOrigin) -> None:
    path = lake_origin_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dataclasses.asdict(origin), indent=2))

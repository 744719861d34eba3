"""Silver transforms imported when a silver asset runs, not when the code location loads.

The silver validations declare their rules as dataframely schemas; importing dataframely (and
the SQLAlchemy it pulls in) costs about 0.9 s, which every run, sensor tick and UI reload would
pay while loading Definitions. The silver asset modules therefore name their transforms through
:func:`deferred`: the transform module is imported on the first call, inside a run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import polars as pl

TRANSFORMS = "retail_platform.transforms.silver"


def deferred(module: str, name: str) -> Callable[[pl.LazyFrame], pl.LazyFrame]:
    """``retail_platform.transforms.silver.<module>.<name>``, imported on its first call."""

    def call(frame: pl.LazyFrame) -> pl.LazyFrame:
        function: Any = getattr(importlib.import_module(f"{TRANSFORMS}.{module}"), name)
        return function(frame)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{TRANSFORMS}.{module}.{name} (imported on first call)."
    return call

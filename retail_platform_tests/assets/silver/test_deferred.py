"""Loading the code location does not import the silver transforms' dataframely/SQLAlchemy."""

import subprocess
import sys

import polars as pl
import pytest

from retail_platform.assets.silver.deferred import deferred
from retail_platform.transforms.conform import ContractMismatchError


def test_loading_definitions_imports_neither_dataframely_nor_sqlalchemy() -> None:
    probe = (
        "import sys, retail_platform.definitions; "
        "print(sorted(m for m in ('dataframely', 'sqlalchemy') if m in sys.modules))"
    )
    # A fresh interpreter: this test process may have imported them already.
    found = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, check=True
    )

    assert found.stdout.strip() == "[]"


def test_a_deferred_transform_runs_the_named_function() -> None:
    finish = deferred("payments", "silver_payments")

    assert finish.__name__ == "silver_payments"
    # silver_payments conforms to the contract: its own error says it ran.
    with pytest.raises(ContractMismatchError, match="'payments' lacks contract columns: order_id"):
        finish(pl.LazyFrame({"payment_id": ["PAY1"]}))

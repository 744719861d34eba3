"""A gold table's blocking checks, answered from the audit of its current version.

Every gold commit through the IO manager was audited with the same rules as the table's
blocking checks (quality/publish.py), and a slice's scoped audit proves them for the whole new
version. Recomputing the expensive whole-table rules right after (key uniqueness over every
row, foreign keys, amounts, reconciliation with silver) would pay for them twice, at a cost that
grows with the history. So a check first looks at the audit log: when the newest record is a
passed audit OF THE CURRENT VERSION that ran this check, and the tables the rule compares with
(the dimensions of a foreign key, the silver tables of a reconciliation) still have the
versions the audit compared with, the check reports that recorded outcome. Otherwise (a table
written outside the IO manager, compacted since, a dimension or silver rewritten since, the
newest build rejected) it recomputes on the whole table, as before.

Compared tables are named `dim_x` (a gold table) or `layer.table` (e.g. `silver.orders`), as
the audit records them (publish.py `_input_versions`).
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from retail_platform.quality.outcome import RuleOutcome
from retail_platform.resources.lake import PUBLISHED, LakeResource

GOLD = "gold"


def audited_pass(
    lake: LakeResource, table: str, check: str, compared_with: Sequence[str] = ()
) -> dg.AssetCheckResult | None:
    """The passed result recorded by the current version's audit, or None (recompute).
    ``compared_with``: the tables the rule reads besides ``table`` (module docstring)."""
    if not lake.exists(GOLD, table):
        return None
    log = lake.audit_log(GOLD, table)
    if not log:
        return None
    newest = log[-1]
    if newest.status != PUBLISHED or newest.version != lake.version(GOLD, table):
        return None
    if check not in newest.checks.split(", "):
        return None
    recorded = dict(item.split("=", 1) for item in newest.inputs.split(", ") if item)
    for name in compared_with:
        if name == table:
            continue
        layer, other = name.split(".", 1) if "." in name else (GOLD, name)
        current = str(lake.version(layer, other)) if lake.exists(layer, other) else None
        if recorded.get(name) != current:
            return None
    counts: dict[str, int | float | str] = {
        "from_audit_of_version": int(newest.version or 0),
        "audit_run_id": newest.run_id,
    }
    return RuleOutcome(check, True, counts).check_result()

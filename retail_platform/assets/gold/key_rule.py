"""Which surrogate-key rule a gold table's keys were made with, so a night never mixes two.

Every whole write of a gold table (a first build, a rebuild, a full build in parts) records
the rule of `transforms.keys.stable_key` (`KEY_RULE`) as the Delta table property
`retail.surrogateKeyRule`; slices and merges keep the table's properties. A gold table that
records another rule, or none (tables written before rules were recorded hold BLAKE2b keys),
is planned as a full build (`increment.plan_gold`) with a reason naming both rules: its next
run rebuilds it whole, and the warehouse then loads it whole (a table replaced whole loads
all its partitions; rows whose keys vanished are deleted). A night after an upgrade that
changes the rule therefore rebuilds every gold table once, as a `full_refresh` run would.

The property is set after the commit that rebuilt the table (a SET TBLPROPERTIES commit, which
changes no data): a rebuild that fails leaves the old rule recorded, so the next run rebuilds
again rather than slicing into keys of two rules.
"""

from __future__ import annotations

from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.keys import KEY_RULE

KEY_RULE_PROPERTY = "retail.surrogateKeyRule"
# What a gold table without the property holds: every release before rules were recorded.
UNRECORDED_RULE = "blake2b (before key rules were recorded)"


def stale_key_rule(lake: LakeResource, layer: str, table: str) -> str:
    """Why the existing ``layer.table`` must be rebuilt whole for its keys, or '' when its
    keys follow the current rule."""
    found = lake.table_properties(layer, table).get(KEY_RULE_PROPERTY, UNRECORDED_RULE)
    if found == KEY_RULE:
        return ""
    return (
        f"{layer}.{table} holds surrogate keys of rule {found}, this release keys with "
        f"{KEY_RULE}: rebuilt whole so no table mixes the two"
    )


def record_key_rule(lake: LakeResource, layer: str, table: str) -> None:
    """After a whole write of ``layer.table``: record the current rule (a commit only when
    the table records another one or none)."""
    if lake.table_properties(layer, table).get(KEY_RULE_PROPERTY) != KEY_RULE:
        lake.set_table_properties(layer, table, {KEY_RULE_PROPERTY: KEY_RULE})

"""Which surrogate-key rule a gold table's keys were made with, so a night never mixes two.

Every whole write of a gold table (a first build, a rebuild, a full build in parts) records
the rule of `transforms.keys.stable_key` (`KEY_RULE`) as the Delta table property
`retail.surrogateKeyRule`; slices and merges keep the table's properties. A gold table that
records another rule, or none (tables written before rules were recorded hold BLAKE2b keys),
is planned as a full build (`increment.plan_gold`) with a reason naming both rules: its next
run rebuilds it whole, and the warehouse then loads it whole (a table replaced whole loads
all its partitions; rows whose keys vanished are deleted).

Keys of two rules must not meet across tables either: a fact rebuilt with new keys while its
dimension still holds old ones would publish foreign keys that resolve to nothing. So a stale
table is refused (`KeyRuleMixError`, naming the tables and the fix) while a table it
references by a surrogate key is stale too (a dimension runs before its facts, so in a run of
both it is rebuilt first), or while a stale table referencing it stays out of the run. A run
of the whole gold group after an upgrade rebuilds each table once, dimensions first; a night
that selects only some of them stops with that message instead of mixing. Once rebuilt, a
table only meets tables of the current rule (whole writes record it), so the check reads
nothing more on an ordinary night.

The property is set after the commit that rebuilt the table (a SET TBLPROPERTIES commit, which
changes no data): a rebuild that fails leaves the old rule recorded, so the next run rebuilds
again rather than slicing into keys of two rules.
"""

from __future__ import annotations

from collections.abc import Collection

from retail_platform.contracts.gold import GOLD_TABLES
from retail_platform.contracts.model import TableContract
from retail_platform.resources.lake import LakeResource
from retail_platform.transforms.keys import KEY_RULE

KEY_RULE_PROPERTY = "retail.surrogateKeyRule"
# What a gold table without the property holds: every release before rules were recorded.
UNRECORDED_RULE = "blake2b (before key rules were recorded)"
FIX = (
    "this release changes every surrogate key: materialize the whole gold group once (the "
    "UI's Materialize all on group gold, or any run tagged retail/full_refresh=true), "
    "dimensions first, as docs/operations.md describes"
)


class KeyRuleMixError(RuntimeError):
    """A rebuild that would leave gold tables joined on keys of two rules."""


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


def key_rule_mix(
    lake: LakeResource, contract: TableContract, selected: Collection[str] | None
) -> str:
    """Why rebuilding the stale gold ``contract`` now would mix key rules across tables, or ''.

    ``selected``: the gold tables of this run (None: the run selects every asset)."""
    table = contract.name
    for target in sorted(set(_hashed_references(contract)) - {table}):
        stale = lake.exists("gold", target) and stale_key_rule(lake, "gold", target)
        if stale:
            return f"gold.{table} references gold.{target}, whose keys are older ({stale}); {FIX}"
    left_out = [
        other.name
        for other in GOLD_TABLES
        if table in _hashed_references(other)
        and other.name != table
        and (selected is not None and other.name not in selected)
        and lake.exists("gold", other.name)
        and stale_key_rule(lake, "gold", other.name)
    ]
    if left_out:
        return (
            f"rebuilding gold.{table} with new keys would leave gold.{', gold.'.join(left_out)} "
            f"(not in this run, keys of the old rule) pointing at keys that are gone; {FIX}"
        )
    return ""


def _hashed_references(contract: TableContract) -> list[str]:
    """The tables ``contract`` references by a surrogate key (a date_key is the date's
    YYYYMMDD digits, the same under every rule)."""
    return [target for column, target in contract.foreign_keys.items() if column != "date_key"]

"""What a silver run reports when only some of an entity's tables are selected."""

from collections.abc import Iterator, Sequence

import dagster as dg


def selected_results(
    context: dg.AssetExecutionContext, results: Sequence[dg.MaterializeResult | dg.AssetCheckResult]
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """The results of what the run selected; the siblings the recipe wrote anyway are recorded.

    The recipe writes an entity's tables together (the quarantine is the complement of the
    silver rows, order lines come from the same orders), so a run selecting one of them still
    writes the others. Dagster accepts outputs only for selected assets: an unselected
    sibling's write is logged as a runtime materialization, so the catalog stays true, and an
    unselected check's result is left out (it runs when its asset is selected).
    """
    assets = context.selected_asset_keys
    checks = context.selected_asset_check_keys
    for result in results:
        if isinstance(result, dg.AssetCheckResult):
            key = dg.AssetCheckKey(result.asset_key, result.check_name)
            if key in checks:
                yield result
        elif result.asset_key in assets:
            yield result
        else:
            context.log_event(dg.AssetMaterialization(result.asset_key, metadata=result.metadata))

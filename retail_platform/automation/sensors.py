"""A sensor that notices new or changed partner files in S3 and ingests exactly those."""

import hashlib
import json

import dagster as dg

from retail_platform.assets.bronze.s3 import FEED_ASSETS, FEEDS
from retail_platform.automation.jobs import partner_files_job, trigger_tags
from retail_platform.resources.s3 import PartnerDropsResource

DESCRIPTION = (
    "Requests one partner_files run for the objects under catalog/, partners/, "
    "partner_sales/ and inventory/ that are new or whose ETag changed, naming exactly those "
    "objects in the run config. The cursor holds the ETag of every object already seen."
)


def build_partner_files_sensor(live: bool = False) -> dg.SensorDefinition:
    """Stopped by default (production turns it on where the bucket is real); running from the
    start in live local mode, where the stand-in drops a partner file every few minutes."""
    if not live:
        return dg.SensorDefinition(
            name="partner_files_sensor",
            evaluation_fn=partner_files_sensor_tick,
            job=partner_files_job,
            minimum_interval_seconds=60,
            description=DESCRIPTION + " Stopped by default: turn it on where the bucket is real.",
            default_status=dg.DefaultSensorStatus.STOPPED,
        )
    return dg.SensorDefinition(
        name="partner_files_sensor",
        evaluation_fn=partner_files_sensor_tick,
        job=partner_files_job,
        minimum_interval_seconds=30,
        description="LIVE LOCAL MODE (on because `make dev` started the stand-ins live, "
        "which drop a partner sales file every few minutes): " + DESCRIPTION,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )


def partner_files_sensor_tick(
    context: dg.SensorEvaluationContext, partner_drops: PartnerDropsResource
) -> dg.SensorResult | dg.SkipReason:
    # The listing is dagster-aws's get_objects (through the resource). Its since_key /
    # since_last_modified filters are not used: a LastModified high-water mark misses an object
    # written in the same second as the mark and cannot tell a corrected file from a re-upload
    # of the same bytes; the cursor of ETags per key does both.
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current: dict[str, str] = {}
    changed_by_feed: dict[str, list[str]] = {}
    for name, feed in FEEDS.items():
        for obj in partner_drops.list_objects(feed.prefix):
            if not feed.matches(obj.key):
                continue
            current[obj.key] = obj.etag
            if seen.get(obj.key) != obj.etag:
                changed_by_feed.setdefault(name, []).append(obj.key)
    changed = sorted(key for keys in changed_by_feed.values() for key in keys)
    if not changed:
        return dg.SkipReason(f"no new or changed objects among {len(current)}")
    # The run key names exactly the changed versions: a re-evaluated tick requests nothing new.
    run_key = hashlib.sha256(
        json.dumps([[key, current[key]] for key in changed]).encode()
    ).hexdigest()[:16]
    assets = {name: FEED_ASSETS[name] for name in sorted(changed_by_feed)}
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                asset_selection=[asset.key for asset in assets.values()],
                run_config={
                    "ops": {
                        asset.op.name: {"config": {"keys": sorted(changed_by_feed[name])}}
                        for name, asset in assets.items()
                    }
                },
                tags={
                    "retail/changed_objects": str(len(changed)),
                    **trigger_tags("sensor", "bronze"),
                },
            )
        ],
        cursor=json.dumps(current, sort_keys=True),
    )


partner_files_sensor = build_partner_files_sensor()

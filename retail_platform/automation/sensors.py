"""A sensor that notices new or changed partner files in S3 and ingests them."""

import hashlib
import json

import dagster as dg

from retail_platform.automation.jobs import partner_files_job
from retail_platform.resources.s3 import PartnerDropsResource

WATCHED_PREFIXES = ("catalog/", "partner_sales/")


@dg.sensor(
    job=partner_files_job,
    minimum_interval_seconds=60,
    description="Requests a partner_files run when an object under catalog/ or partner_sales/ "
    "is new or its ETag changed. The cursor holds the ETags already seen.",
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def partner_files_sensor(
    context: dg.SensorEvaluationContext, partner_drops: PartnerDropsResource
) -> dg.SensorResult | dg.SkipReason:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = {
        obj.key: obj.etag
        for prefix in WATCHED_PREFIXES
        for obj in partner_drops.list_objects(prefix)
    }
    changed = sorted(key for key, etag in current.items() if seen.get(key) != etag)
    if not changed:
        return dg.SkipReason(f"no new or changed objects among {len(current)}")
    # The run key names exactly the changed versions: a re-evaluated tick requests nothing new.
    run_key = hashlib.sha256(
        json.dumps([[key, current[key]] for key in changed]).encode()
    ).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                tags={"retail/changed_objects": str(len(changed))},
            )
        ],
        cursor=json.dumps(current, sort_keys=True),
    )

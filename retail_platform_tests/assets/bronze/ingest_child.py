"""Run as a subprocess by the kill test: ingest a bucket's partner sales into a lake, for real.

python -m retail_platform_tests.assets.bronze.ingest_child ENDPOINT BUCKET LAKE_ROOT
"""

from __future__ import annotations

import sys

import dagster as dg

from retail_platform.assets.bronze.s3 import bronze_partner_sales
from retail_platform.resources.lake import LakeResource
from retail_platform.resources.s3 import PartnerDropsResource


def main(endpoint: str, bucket: str, lake_root: str) -> None:
    drops = PartnerDropsResource(
        bucket=bucket,
        endpoint_url=endpoint,
        aws_access_key_id="local-stack",
        aws_secret_access_key="local-stack",
    )
    result = dg.materialize(
        [bronze_partner_sales],
        resources={"partner_drops": drops, "lake": LakeResource(root=lake_root)},
        run_config={"ops": {"bronze__partner_sales": {"config": {"objects_per_commit": 2}}}},
    )
    sys.exit(0 if result.success else 1)


if __name__ == "__main__":
    main(*sys.argv[1:4])

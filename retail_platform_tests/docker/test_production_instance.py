"""The production dagster.yaml, for real: a Dagster instance on PostgreSQL (from Debian's
packages, started for the test) materializes platform assets and keeps their history."""

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import yaml

from retail_platform.environment import Environment, local_resources
from retail_platform.local.stack import StackState
from retail_platform.quality.publish import AuditedDeltaIOManager
from retail_platform.resources.lake import LakeResource
from retail_platform_tests.docker.postgres_server import (
    PostgresServer,
    find_binaries,
    running_postgres,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_YAML = ROOT / "docker" / "dagster.yaml"
PRODUCT_CHAIN = (
    "bronze/products",
    "silver/products",
    "silver/products_quarantine",
    "gold/dim_product",
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    binaries = find_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL: .ci/run installs Debian's postgresql package")
        pytest.skip("no PostgreSQL binaries (apt-get install postgresql); CI installs them")
    with running_postgres(binaries) as server:
        yield server


@pytest.fixture
def production_home(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """DAGSTER_HOME with docker/dagster.yaml as shipped, minus the Docker run launcher.

    The launcher's package (dagster-docker) is installed in the image only and needs a Docker
    engine; runs here execute in-process, so every other section is used unchanged.
    """
    config = yaml.safe_load(PRODUCTION_YAML.read_text())
    assert config.pop("run_launcher")["class"] == "DockerRunLauncher"
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    for name, value in {
        "DAGSTER_POSTGRES_HOST": postgres.host,
        "DAGSTER_POSTGRES_PORT": str(postgres.port),
        "DAGSTER_POSTGRES_USER": postgres.user,
        "DAGSTER_POSTGRES_PASSWORD": postgres.password,
        "DAGSTER_POSTGRES_DB": "postgres",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def _count_rows(postgres: PostgresServer, sql: str, parameters: tuple[str, ...]) -> int:
    with (
        psycopg2.connect(
            host=postgres.host,
            port=postgres.port,
            user=postgres.user,
            password=postgres.password,
            dbname="postgres",
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, parameters)
        return cursor.fetchone()[0]


def test_assets_materialize_with_the_production_storage_on_postgresql(
    production_home: Path,
    postgres: PostgresServer,
    local_stack: StackState,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from retail_platform.definitions import build_definitions

    definitions = build_definitions(Environment.LOCAL)
    chain = [dg.AssetKey.from_user_string(key) for key in PRODUCT_CHAIN]
    assets = [
        a
        for a in definitions.assets or []
        if isinstance(a, dg.AssetsDefinition) and set(a.keys) & set(chain)
    ]
    # A lake of its own: the session's lake belongs to the pipeline fixture.
    lake = LakeResource(root=str(tmp_path_factory.mktemp("postgres-lake")))
    stack_resources = local_resources(Path(local_stack.state_dir))

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        result = dg.materialize(
            assets,
            instance=instance,
            resources={
                "lake": lake,
                "io_manager": AuditedDeltaIOManager(lake=lake),  # as the platform publishes gold
                "partner_drops": stack_resources["partner_drops"],
                "pii_masking": stack_resources["pii_masking"],
            },
            selection=chain,
        )
        assert result.success
        materialized = {
            key.to_user_string()
            for key in chain
            if instance.get_latest_materialization_event(key) is not None
        }
        run_id = result.run_id

    assert materialized == set(PRODUCT_CHAIN)
    assert lake.scan("gold", "dim_product").collect().height > 0
    # The history is in PostgreSQL itself: the run, and one materialization per asset.
    assert _count_rows(postgres, "SELECT COUNT(*) FROM runs WHERE run_id = %s", (run_id,)) == 1
    assert _count_rows(
        postgres,
        "SELECT COUNT(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
        (run_id, "ASSET_MATERIALIZATION"),
    ) == len(PRODUCT_CHAIN)
    # Each table's writer claimed a slot in its pool (one writer per table).
    with dg.DagsterInstance.get() as instance:
        pools = set(instance.event_log_storage.get_concurrency_keys())
    # (the S3 assets share the pool of the manifest they all upsert)
    assert {"delta/bronze/s3_manifest", "delta/silver/products", "delta/gold/dim_product"} <= pools

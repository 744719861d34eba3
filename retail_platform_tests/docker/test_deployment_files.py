"""docker/: what can be checked without a Docker engine. The files parse, reference files that
exist, and agree with each other and with the code (variables, ports, module, versions)."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from retail_platform.environment import PROD_REQUIRED_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def _yaml(name: str) -> dict:
    return yaml.safe_load((DOCKER / name).read_text())


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DOCKER / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)  # line continuations
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1] if " " in line else "")
        for line in (raw.strip() for raw in joined.splitlines())
        if line and not line.startswith("#")
    ]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _dockerfile_instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _locked_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return next(p["version"] for p in lock["package"] if p["name"] == package)


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_and_runs_as_a_non_root_user() -> None:
    stages = _stages()
    names = [args.split()[-1] for kind, args in (stage[0] for stage in stages)]
    assert names == ["uv", "build", "runtime"]
    runtime = stages[-1]
    users = [args for kind, args in runtime if kind == "USER"]
    assert users == ["dagster:dagster"]
    assert any("useradd --system --uid 10001" in args for kind, args in runtime if kind == "RUN")
    # The runtime copies the built environment, never the uv binary or the build cache.
    copies = [args for kind, args in runtime if kind == "COPY"]
    assert any(args.startswith("--from=build") and "/opt/venv" in args for args in copies)
    assert not any("uv" in args.split() for kind, args in runtime if kind == "RUN")


def test_dockerfile_installs_exactly_the_lock_file() -> None:
    runs = [args for kind, args in _dockerfile_instructions() if kind == "RUN"]
    syncs = [args for args in runs if "uv sync" in args]
    assert len(syncs) == 2
    assert all("--locked" in args and "--no-dev" in args for args in syncs)
    pinned = dict(
        args.split("=", 1)
        for kind, args in _dockerfile_instructions()
        if kind == "ARG" and "=" in args
    )
    # dagster-docker is not in the lock: same release train as the locked dagster libraries.
    assert pinned["DAGSTER_LIBRARIES_VERSION"] == _locked_version("dagster-postgres")


def test_every_file_the_dockerfile_copies_exists_and_is_in_the_build_context() -> None:
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    sources = [
        source
        for kind, args in _dockerfile_instructions()
        if kind == "COPY" and not args.startswith("--from")
        for source in [a for a in args.split() if not a.startswith("--")][:-1]
    ]
    assert sources, "no COPY from the build context"
    for source in sources:
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is excluded by the .dockerignore"


def test_the_image_serves_the_code_location_module_on_port_4000() -> None:
    cmd = next(args for kind, args in reversed(_dockerfile_instructions()) if kind == "CMD")
    assert '"-m", "retail_platform.definitions"' in cmd and '"-p", "4000"' in cmd
    assert (ROOT / "retail_platform" / "definitions.py").exists()


# --- compose ------------------------------------------------------------------------------


def _compose() -> dict:
    return _yaml("compose.yaml")


def test_compose_runs_the_whole_platform() -> None:
    services = _compose()["services"]
    assert set(services) == {
        "postgres",
        "minio",
        "minio-buckets",
        "mongodb",
        "rest-simulator",
        "code-location",
        "webserver",
        "daemon",
    }
    for name in ("rest-simulator", "code-location", "webserver", "daemon"):
        build = services[name]["build"]
        assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"
        assert services[name]["image"] == services["code-location"]["image"]
    assert services["mongodb"]["image"].startswith("mongo:")  # a real MongoDB server
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["minio"]["image"].startswith("minio/minio")


def test_webserver_and_daemon_load_the_grpc_workspace_the_image_contains() -> None:
    services = _compose()["services"]
    workspace = _yaml("workspace.yaml")["load_from"][0]["grpc_server"]
    assert workspace["host"] in services and workspace["port"] == 4000
    copied = [args for kind, args in _dockerfile_instructions() if kind == "COPY"]
    assert any("docker/workspace.yaml /opt/dagster/app/workspace.yaml" in a for a in copied)
    for name in ("webserver", "daemon"):
        command = services[name]["command"]
        assert command[command.index("-w") + 1] == "/opt/dagster/app/workspace.yaml"


def test_the_code_location_gets_every_variable_prod_requires() -> None:
    environment = _compose()["services"]["code-location"]["environment"]
    missing = [name for name in PROD_REQUIRED_VARIABLES if name not in environment]
    assert missing == []
    assert environment["RETAIL_PLATFORM_ENV"] == "prod"
    assert environment["DAGSTER_CURRENT_IMAGE"] == _compose()["services"]["code-location"]["image"]


def test_secrets_are_required_from_the_env_file_never_written_in_compose() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert {"DAGSTER_POSTGRES_PASSWORD", "COMMERCE_API_TOKEN", "RETAIL_PII_HMAC_KEY"} <= required
    assert {"SNOWFLAKE_PASSWORD", "MINIO_ROOT_PASSWORD"} <= required
    documented = {
        line.split("=", 1)[0]
        for line in (DOCKER / "env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert required <= documented
    assert re.findall(r"(?:PASSWORD|TOKEN|KEY):\s+[\"']?[A-Za-z0-9]", text) == []


def test_run_containers_receive_the_daemons_environment_on_its_network() -> None:
    compose, instance = _compose(), _yaml("dagster.yaml")
    launcher = instance["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_docker", "DockerRunLauncher")
    daemon = compose["services"]["daemon"]
    forwarded = launcher["config"]["env_vars"]
    assert [name for name in forwarded if name not in daemon["environment"]] == []
    assert [name for name in PROD_REQUIRED_VARIABLES if name not in forwarded] == []
    assert compose["networks"]["retail_platform"]["name"] == launcher["config"]["network"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in daemon["volumes"]


def test_the_rest_simulator_accepts_the_flags_compose_passes() -> None:
    command = _compose()["services"]["rest-simulator"]["command"]
    module = command[command.index("-m") + 1]
    usage = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=True,
    ).stdout
    flags = [arg for arg in command if arg.startswith("--")]
    assert flags and [flag for flag in flags if flag not in usage] == []


# --- production dagster.yaml and Helm values ------------------------------------------------


def test_production_dagster_yaml_is_a_valid_instance_config() -> None:
    config, _ = dagster_instance_config(str(DOCKER), "dagster.yaml")
    assert set(config["storage"]) == {"postgres"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 4
    database = config["storage"]["postgres"]["postgres_db"]
    settings = {name: value for name, value in database.items() if name != "scheme"}
    assert all(set(value) == {"env"} for value in settings.values())  # nothing hard-coded
    assert database["scheme"] == "postgresql+psycopg2"  # the driver uv.lock provides


def test_helm_values_deploy_the_same_image_and_limits_on_kubernetes() -> None:
    values = _yaml("helm/values.yaml")
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "retail_platform.definitions"]
    assert {"name": "RETAIL_PLATFORM_ENV", "value": "prod"} in deployment["env"]
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["postgresql"]["enabled"] is False
    instance = _yaml("dagster.yaml")["concurrency"]
    assert values["concurrency"]["pools"]["defaultLimit"] == instance["pools"]["default_limit"]
    helm_tags = values["concurrency"]["runs"]["tagConcurrencyLimits"]
    assert helm_tags == instance["runs"]["tag_concurrency_limits"]
    # A run's pod has room for a full silver rebuild's spill files, within its limit.
    resources = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"][
        "containerConfig"
    ]["resources"]
    assert resources["requests"]["ephemeral-storage"] == "20Gi"
    assert resources["limits"]["ephemeral-storage"] == "60Gi"


@pytest.mark.parametrize(
    "name", ["compose.yaml", "workspace.yaml", "dagster.yaml", "helm/values.yaml"]
)
def test_yaml_files_parse(name: str) -> None:
    assert isinstance(_yaml(name), dict)

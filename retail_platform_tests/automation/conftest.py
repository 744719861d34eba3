"""The `daemon` fixture: one live local stack and one `dagster-daemon` (shared_daemon.py) for
test_run_monitoring.py and test_daemon_end_to_end.py.

Starting a daemon loads every code location it serves, and a live stack starts three servers
and a data flow: each costs tens of seconds on busy shared cores, so the two tests share them.
The fixture is package-scoped, and the tests that use it run last in this package, the
run-monitoring test first: its waits (monitoring intervals, the freed slot) overlap the live
flow's first interval, which the end-to-end test waits for, and the stack and the daemon stop
as soon as the end-to-end test is done, not at the end of the whole session. The end-to-end
test's catalog drop is made before the daemon starts (shared_daemon.py), as when that test
started a daemon of its own: a catalog version dropped while the platform's first runs are
under way can fail a warehouse load (`NotAuditedError`, dim_product loaded after the facts
audited against it), a race of its own, reported, that this test does not cover.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from retail_platform_tests.automation.shared_daemon import Daemon, shared_daemon

FIXTURE = "daemon"
DAEMON_TESTS_ORDER = ("test_run_monitoring.py", "test_daemon_end_to_end.py")


@pytest.fixture(scope="package")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    with shared_daemon(tmp_path_factory.mktemp("daemon")) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the tests that use the daemon to the end of this package's tests, in
    DAEMON_TESTS_ORDER, keeping the package's tests together (one setup, one teardown)."""
    here = Path(__file__).parent
    positions = [i for i, item in enumerate(items) if item.path.parent == here]
    if not positions:
        return
    ours = [items[i] for i in positions]
    users = [item for item in ours if FIXTURE in getattr(item, "fixturenames", ())]

    def order(item: pytest.Item) -> int:
        name = item.path.name
        return DAEMON_TESTS_ORDER.index(name) if name in DAEMON_TESTS_ORDER else 0

    reordered = [item for item in ours if item not in users] + sorted(users, key=order)
    for position, item in zip(positions, reordered, strict=True):
        items[position] = item

import subprocess
import sys
import time

from benchmarks.memory import PeakRssSampler, process_tree, tree_rss_bytes

MIB = 1024 * 1024
# A child that holds 200 MiB of touched memory until it is told to stop (stdin closes).
HOLD_200_MIB = (
    "import sys; block = bytearray(200 * 1024 * 1024); print('ready', flush=True); sys.stdin.read()"
)


def test_sampler_counts_the_memory_of_child_processes() -> None:
    with PeakRssSampler(interval_seconds=0.01) as sampler:
        child = subprocess.Popen(
            [sys.executable, "-c", HOLD_200_MIB],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            assert child.pid in process_tree(sampler.root_pid)
            time.sleep(0.05)
            peak_with_child = sampler.peak_bytes
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=10)
    own = tree_rss_bytes(sampler.root_pid)
    # The child's 200 MiB is in the peak, not in what this process holds alone afterwards.
    assert peak_with_child >= own + 190 * MIB


def test_reset_forgets_the_previous_peak() -> None:
    sampler = PeakRssSampler()
    block = bytearray(100 * MIB)
    high = sampler.peak_bytes
    del block
    sampler.reset()

    assert sampler.peak_bytes < high


def test_peak_between_reads_only_the_samples_of_that_span() -> None:
    with PeakRssSampler(interval_seconds=0.01) as sampler:
        time.sleep(0.05)
        before_block = time.time()
        block = bytearray(150 * MIB)
        block[::4096] = b"x" * len(block[::4096])  # touch every page: resident
        time.sleep(0.1)
        after_block = time.time()
        del block
        time.sleep(0.1)
        end = time.time()
        small = sampler.peak_between(after_block + 0.05, end)
        large = sampler.peak_between(before_block, after_block)

    assert large >= small + 140 * MIB
    assert sampler.peak_between(end + 10, end + 20) == 0

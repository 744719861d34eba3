"""The benchmark: the platform against the engines users would pick instead (`make bench`).

See docs/benchmarks.md for the method; `python -m benchmarks --help` for the options.
"""

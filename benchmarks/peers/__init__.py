"""The engines a user would pick instead, each building the same gold tables from silver.

Every peer reads the silver Delta tables' Parquet files (the Delta extension of DuckDB and the
Delta jar of Spark cannot be downloaded here), builds the gold tables of
`platform_api.GOLD_OUTPUTS` with the platform's rules, and writes Parquet. Surrogate keys use
the platform's documented rule (`keys.stable_key_text`), so outputs can be compared exactly.
"""

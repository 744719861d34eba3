"""Governance as code: roles, grants, masking policies and BI schema metadata as SQL statements.

Everything here is pure: gold contracts and a ``GovernanceConfig`` in, ordered, idempotent
``Statement`` objects out (``plan.governance_plan``). Applying them, or rendering them to a
file where the server cannot run them, is the job of ``SnowflakeGovernance`` (a resource).
"""

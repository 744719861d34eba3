"""PII masking engine: applies pii/policy.yaml to a frame and fails closed.

Every column of a frame must be classified in the policy for its table, otherwise
``apply_policy`` raises instead of letting an unreviewed field through. The policy is data;
this module only knows how to carry out its actions.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")

PII_CLASSES = (
    "email",
    "phone",
    "name",
    "address",
    "birth_date",
    "free_text",
    "payment_card",
    "ip",
    "none",
)
ACTIONS = (
    "keep",
    "drop",
    "hmac_token",
    "generalize_year",
    "prefix",
    "redact",
    "redact_patterns",
    "partial_email",
)
# Actions whose output means something else than the input, so it must be named explicitly.
_ACTIONS_NEEDING_OUTPUT = ("hmac_token", "generalize_year")
_RULE_KEYS = {"class", "action", "output", "length"}
REDACTED = "[REDACTED]"

_EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
# 13-19 digits, optionally grouped by single spaces or dashes (card numbers).
_CARD_PATTERN = r"\b\d(?:[ \-]?\d){12,18}\b"
# 9-15 digits with the usual separators, optionally starting with + or "(".
_PHONE_PATTERN = r"(?:\+|\()?\b\d(?:[\s().\-]{0,2}\d){8,14}\b"
_ISO_DATE_PREFIX = r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$"


class MaskingError(Exception):
    """Base class of the PII engine's errors."""


class PolicyValidationError(MaskingError, ValueError):
    """The policy file is malformed."""


class UnclassifiedTableError(MaskingError):
    """The policy has no entry for the table being masked."""


class UnclassifiedColumnError(MaskingError):
    """A frame column has no entry in the policy for its table."""


class MissingSecretError(MaskingError, ValueError):
    """No HMAC secret was given."""


@dataclass(frozen=True)
class ColumnRule:
    column: str
    pii_class: str
    action: str
    output: str | None = None
    length: int | None = None

    @property
    def output_name(self) -> str:
        return self.output or self.column


@dataclass(frozen=True)
class TablePolicy:
    table: str
    columns: Mapping[str, ColumnRule]

    def masked_outputs(self) -> dict[str, ColumnRule]:
        """Output column -> rule, for every column whose action changes the value."""
        return {
            rule.output_name: rule
            for rule in self.columns.values()
            if rule.action not in ("keep", "drop")
        }


@dataclass(frozen=True)
class MaskingPolicy:
    version: int
    tables: Mapping[str, TablePolicy]

    def for_table(self, table: str) -> TablePolicy:
        if table not in self.tables:
            raise UnclassifiedTableError(
                f"table {table!r} is not in the PII policy; classify its columns first"
            )
        return self.tables[table]


# --- loading -----------------------------------------------------------------------------


def load_policy(path: Path | None = None) -> MaskingPolicy:
    """Read and validate the policy YAML (default: pii/policy.yaml next to this module)."""
    policy_path = path or DEFAULT_POLICY_PATH
    document = yaml.safe_load(policy_path.read_text(encoding="utf-8"))
    return parse_policy(document, origin=str(policy_path))


def parse_policy(document: Any, origin: str = "policy") -> MaskingPolicy:
    """Validate a policy document already loaded from YAML; errors name table and column."""
    if not isinstance(document, dict) or not isinstance(document.get("tables"), dict):
        raise PolicyValidationError(f"{origin}: expected a mapping with a 'tables' mapping")
    version = document.get("version")
    if version != 1:
        raise PolicyValidationError(f"{origin}: unsupported policy version {version!r}")
    tables = {
        str(table): _parse_table(str(table), entry, origin)
        for table, entry in document["tables"].items()
    }
    return MaskingPolicy(version=version, tables=tables)


def _parse_table(table: str, entry: Any, origin: str) -> TablePolicy:
    if not isinstance(entry, dict) or not isinstance(entry.get("columns"), dict):
        raise PolicyValidationError(f"{origin}: table {table!r} needs a 'columns' mapping")
    rules = {
        str(column): _parse_rule(table, str(column), spec, origin)
        for column, spec in entry["columns"].items()
    }
    outputs = [rule.output_name for rule in rules.values() if rule.action != "drop"]
    duplicates = sorted({name for name in outputs if outputs.count(name) > 1})
    if duplicates:
        raise PolicyValidationError(
            f"{origin}: table {table!r} produces column(s) {', '.join(duplicates)} twice"
        )
    return TablePolicy(table=table, columns=rules)


def _parse_rule(table: str, column: str, spec: Any, origin: str) -> ColumnRule:
    where = f"{origin}: table {table!r}, column {column!r}"
    if not isinstance(spec, dict):
        raise PolicyValidationError(f"{where}: expected a mapping with 'class' and 'action'")
    unknown_keys = sorted(set(spec) - _RULE_KEYS)
    if unknown_keys:
        raise PolicyValidationError(f"{where}: unknown key(s) {', '.join(map(str, unknown_keys))}")
    pii_class, action = spec.get("class"), spec.get("action")
    if pii_class not in PII_CLASSES:
        raise PolicyValidationError(
            f"{where}: unknown class {pii_class!r}; expected one of {', '.join(PII_CLASSES)}"
        )
    if action not in ACTIONS:
        raise PolicyValidationError(
            f"{where}: unknown action {action!r}; expected one of {', '.join(ACTIONS)}"
        )
    output, length = spec.get("output"), spec.get("length")
    if output is not None and (not isinstance(output, str) or not output):
        raise PolicyValidationError(f"{where}: 'output' must be a non-empty column name")
    if action == "drop" and output is not None:
        raise PolicyValidationError(f"{where}: a dropped column has no 'output'")
    if action in _ACTIONS_NEEDING_OUTPUT and output is None:
        raise PolicyValidationError(f"{where}: action {action!r} needs an 'output' name")
    if action == "prefix":
        if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
            raise PolicyValidationError(f"{where}: action 'prefix' needs a positive 'length'")
    elif length is not None:
        raise PolicyValidationError(f"{where}: 'length' only applies to action 'prefix'")
    return ColumnRule(column, pii_class, action, output, length)


# --- applying ----------------------------------------------------------------------------


def apply_policy(
    frame: pl.LazyFrame, table: str, policy: MaskingPolicy, secret: bytes
) -> pl.LazyFrame:
    """Mask ``frame`` (a bronze ``table``) by the policy; output keeps input column order.

    Fails closed: raises when the secret is empty, the table is not in the policy, or any
    input column is not classified for the table (the error names table and columns).
    """
    if not secret:
        raise MissingSecretError("an HMAC secret is required to mask PII; got an empty one")
    table_policy = policy.for_table(table)
    names = frame.collect_schema().names()
    unclassified = [name for name in names if name not in table_policy.columns]
    if unclassified:
        raise UnclassifiedColumnError(
            f"table {table!r}: column(s) not classified in the PII policy: "
            f"{', '.join(unclassified)}"
        )
    masked = [
        _mask(rule, secret).alias(rule.output_name)
        for rule in (table_policy.columns[name] for name in names)
        if rule.action != "drop"
    ]
    return frame.select(masked)


def _mask(rule: ColumnRule, secret: bytes) -> pl.Expr:
    value = pl.col(rule.column)
    if rule.action == "keep":
        return value
    text = value.cast(pl.String)
    if rule.action == "hmac_token":
        return hmac_token(normalize_for_token(text, rule.pii_class), secret)
    if rule.action == "generalize_year":
        return generalize_year(text)
    if rule.action == "prefix":
        return text.str.strip_chars().str.slice(0, rule.length)
    if rule.action == "redact":
        return pl.when(text.is_not_null()).then(pl.lit(REDACTED))
    if rule.action == "redact_patterns":
        return redact_free_text(text)
    if rule.action == "partial_email":
        return partial_email(text)
    raise PolicyValidationError(f"no implementation for action {rule.action!r}")


def normalize_for_token(text: pl.Expr, pii_class: str) -> pl.Expr:
    """The form that is tokenised, so equal values in different spellings share a token.

    email: trimmed and lower-cased. phone: digits only, a leading + kept. Other classes:
    trimmed. Blank results become null (no token).
    """
    trimmed = text.str.strip_chars()
    if pii_class == "email":
        normalized = trimmed.str.to_lowercase()
    elif pii_class == "phone":
        digits = trimmed.str.replace_all(r"\D", "")
        normalized = (
            pl.when(trimmed.str.starts_with("+") & (digits.str.len_chars() > 0))
            .then(pl.concat_str(pl.lit("+"), digits))
            .otherwise(digits)
        )
    else:
        normalized = trimmed
    return pl.when(normalized.str.len_chars() > 0).then(normalized)


def _hmac_hex_series(secret: bytes) -> Callable[[pl.Series], pl.Series]:
    def tokenize(values: pl.Series) -> pl.Series:
        tokens = [
            None
            if value is None
            else hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
            for value in values.to_list()
        ]
        return pl.Series(values.name, tokens, dtype=pl.String)

    return tokenize


def hmac_token(text: pl.Expr, secret: bytes) -> pl.Expr:
    """HMAC-SHA256 hex digest of each (already normalised) value, keyed by ``secret``."""
    if not secret:
        raise MissingSecretError("an HMAC secret is required to tokenise values")
    return text.map_batches(_hmac_hex_series(secret), return_dtype=pl.String, is_elementwise=True)


def generalize_year(text: pl.Expr) -> pl.Expr:
    """ISO date text (optionally with a time) -> Int32 year; null when it does not parse."""
    trimmed = text.str.strip_chars()
    parsed = (
        pl.when(trimmed.str.contains(_ISO_DATE_PREFIX))
        .then(trimmed.str.slice(0, 10))
        .str.to_date("%Y-%m-%d", strict=False)
    )
    return parsed.dt.year().cast(pl.Int32)


def partial_email(text: pl.Expr) -> pl.Expr:
    """'***@domain' (domain lower-cased); '***' for a value without a domain."""
    domain = text.str.strip_chars().str.extract(r"@([^@\s]+)$", 1).str.to_lowercase()
    return (
        pl.when(text.is_null())
        .then(None)
        .when(domain.is_null())
        .then(pl.lit("***"))
        .otherwise(pl.concat_str(pl.lit("***@"), domain))
    )


def redact_free_text(expr: pl.Expr) -> pl.Expr:
    """Replace emails, card-like numbers and phone numbers inside free text.

    Order matters: emails first (they may contain digits), then cards (a 16-digit card would
    otherwise partly match the phone pattern), then phones.
    """
    return (
        expr.str.replace_all(_EMAIL_PATTERN, "[EMAIL]")
        .str.replace_all(_CARD_PATTERN, "[CARD]")
        .str.replace_all(_PHONE_PATTERN, "[PHONE]")
    )

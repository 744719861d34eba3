"""Loads and validates the partner feed profiles (partner_feeds.yaml).

A profile says how one partner writes its sales files: delimiter, encoding, decimal separator,
date formats, currency, invoice-number convention and column aliases. The file is validated as
a whole when loaded (unknown keys, unknown columns, bad codecs or currencies fail the load,
naming the partner and the field), so a typo never reaches a run.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retail_platform.contracts import bronze

PROFILES_PATH = Path(__file__).with_name("partner_feeds.yaml")
DEFAULT = "default"
AUTO = "auto"
# Columns a file delivers (partner_id comes from the object key, not the file).
FILE_COLUMNS = tuple(
    name for name in bronze.PARTNER_SALES.column_names if not name.startswith("_")
)[1:]


class FeedProfileError(ValueError):
    """The profiles file is not valid; the message names the partner and the field."""


class _Overrides(BaseModel):
    """What a partner entry may set; anything left out comes from the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None
    decimal_separator: Literal[".", ","] | None = None
    date_formats: Literal["auto"] | tuple[str, ...] | None = None
    currency: str | None = None
    cancellation_prefix: str | None = None
    columns: dict[str, tuple[str, ...]] | None = None

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError(f"{value!r} is not an ISO-4217 code such as EUR or USD")
        return value

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, value: Any) -> Any:
        if isinstance(value, tuple):
            if not value:
                raise ValueError("list at least one format, or say auto")
            bad = [fmt for fmt in value if "%" not in fmt]
            if bad:
                raise ValueError(f"not strftime formats: {bad}")
        return value

    @field_validator("columns")
    @classmethod
    def _contract_columns(cls, value: dict[str, tuple[str, ...]] | None) -> Any:
        unknown = sorted(set(value or {}) - set(FILE_COLUMNS))
        if unknown:
            raise ValueError(f"not partner_sales columns: {unknown}; known: {list(FILE_COLUMNS)}")
        return value


class FeedProfile(BaseModel):
    """One partner's complete profile (its entry over the default)."""

    model_config = ConfigDict(frozen=True)

    partner_id: str
    description: str
    delimiter: str
    encoding: str
    decimal_separator: Literal[".", ","]
    date_formats: Literal["auto"] | tuple[str, ...]
    currency: str
    cancellation_prefix: str | None
    columns: dict[str, tuple[str, ...]]

    def csv_options(self) -> dict[str, Any]:
        """Keyword arguments of transforms.bronze.csv_to_frame for this partner's files."""
        return {
            "delimiter": self.delimiter,
            "encoding": self.encoding,
            "header_aliases": dict(self.columns),
        }

    def settings(self) -> dict[str, str]:
        """The profile as short texts (asset metadata, docs)."""
        formats = self.date_formats
        return {
            "delimiter": repr(self.delimiter),
            "encoding": self.encoding,
            "decimal": repr(self.decimal_separator),
            "dates": formats if isinstance(formats, str) else " | ".join(formats),
            "currency": self.currency,
            "cancellation": f"prefix {self.cancellation_prefix}"
            if self.cancellation_prefix
            else "none",
            "columns": "; ".join(f"{c} <- {'/'.join(h)}" for c, h in self.columns.items()),
        }


class FeedProfiles(BaseModel):
    """Every partner's profile; partners without an entry get the default."""

    model_config = ConfigDict(frozen=True)

    default: FeedProfile
    partners: dict[str, FeedProfile]

    def for_partner(self, partner_id: str) -> FeedProfile:
        profile = self.partners.get(partner_id)
        return (
            profile
            if profile is not None
            else self.default.model_copy(update={"partner_id": partner_id})
        )

    def markdown(self) -> str:
        """A table of the profiles, one row per entry (the default first), for the UI."""
        profiles = [self.default, *self.partners.values()]
        headers = ["partner", *self.default.settings()]
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        for profile in profiles:
            cells = [profile.partner_id, *profile.settings().values()]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines)


def parse_profiles(document: Mapping[str, Any]) -> FeedProfiles:
    """Validates a profiles document (the YAML's content) and merges entries over the default."""
    unknown = sorted(set(document) - {"version", DEFAULT, "partners"})
    if unknown or document.get("version") != 1:
        raise FeedProfileError(
            f"feed profiles: expected version: 1, default, partners; got {list(document)}"
        )
    default_fields = _overrides(DEFAULT, document.get(DEFAULT))
    missing = [
        name for name, value in default_fields if value is None and name != "cancellation_prefix"
    ]
    if missing:
        raise FeedProfileError(f"feed profile default: missing {', '.join(missing)}")
    base = {name: value for name, value in default_fields}
    default = FeedProfile(partner_id=DEFAULT, **base)
    partners = {}
    for partner_id, entry in (document.get("partners") or {}).items():
        given = _overrides(str(partner_id), entry).model_dump(exclude_unset=True)
        columns = {**default.columns, **given.pop("columns", {})}
        partners[str(partner_id)] = FeedProfile(
            **{**base, **given, "columns": columns, "partner_id": str(partner_id)}
        )
    return FeedProfiles(default=default, partners=partners)


def load_profiles(path: Path = PROFILES_PATH) -> FeedProfiles:
    # The code location reads the file when it loads (the assets' metadata shows it): libyaml's
    # safe loader, when PyYAML was built with it, parses it in well under a millisecond (~25x
    # faster than the pure-Python one); both accept the same safe subset of YAML.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return parse_profiles(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))


@lru_cache(maxsize=1)
def shipped_profiles() -> FeedProfiles:
    """The profiles shipped with the platform (read once per process)."""
    return load_profiles()


def feed_profiles_metadata() -> dict[str, Any]:
    """Definition metadata of the partner sales assets: the profiles as the UI shows them."""
    import dagster as dg  # the profiles themselves need no Dagster

    return {
        "feed_profiles": dg.MetadataValue.md(shipped_profiles().markdown()),
        "feed_profiles_file": "retail_platform/feeds/partner_feeds.yaml",
    }


def _overrides(name: str, entry: Any) -> _Overrides:
    if not isinstance(entry, Mapping):
        raise FeedProfileError(
            f"feed profile {name}: expected a mapping, got {type(entry).__name__}"
        )
    try:
        return _Overrides(**entry)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise FeedProfileError(f"feed profile {name}: {problems}") from None

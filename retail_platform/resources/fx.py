"""The published euro foreign exchange reference rates (the ECB's eurofxref-hist feed).

The feed is a ZIP holding one CSV (or the CSV itself): a ``Date`` column and one column per
currency giving the units of that currency worth 1 EUR on that day, ``N/A`` where there is no
rate, history back to 1999-01-04. Production reads it from ``url`` (an EnvVar); locally a
stand-in serves a shipped snapshot over HTTP. The reporting currency is a setting of this
resource (one environment variable), not a constant in code.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import polars as pl
from pydantic import Field

ECB_HISTORY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
BASE_CURRENCY = "EUR"


class FxFeedError(RuntimeError):
    """The feed could not be fetched or read; the message names the URL."""


class FxRatesFeedResource(dg.ConfigurableResource):
    url: str = Field(
        default=ECB_HISTORY_URL, description="eurofxref-hist feed (http(s) or file URL)."
    )
    reporting_currency: str = Field(
        default=BASE_CURRENCY,
        description="ISO-4217 currency gold reports in (RETAIL_REPORTING_CURRENCY).",
    )
    timeout_seconds: float = Field(default=60.0)
    attempts: int = Field(default=3, description="Tries on a 5xx or a connection failure.")

    def fetch_csv(self) -> str:
        """The feed's CSV text (unzipped)."""
        content = self._fetch_bytes()
        if content[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(names) != 1:
                    raise FxFeedError(f"{self.url}: expected one CSV in the ZIP, found {names}")
                content = archive.read(names[0])
        return content.decode("utf-8")

    def rates_per_base(self) -> pl.DataFrame:
        """Long form of the feed: rate_date, currency, units_per_base (Decimal), N/A dropped."""
        return parse_eurofxref(self.fetch_csv(), self.url)

    def _fetch_bytes(self) -> bytes:
        parsed = urlparse(self.url)
        if parsed.scheme == "file":
            return Path(parsed.path).read_bytes()
        import httpx

        last_error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = httpx.get(self.url, timeout=self.timeout_seconds, follow_redirects=True)
            except httpx.TransportError as error:
                last_error = f"connection failed: {error!r}"
            else:
                if response.status_code == 200:
                    return response.content
                last_error = f"answered {response.status_code}"
                if response.status_code < 500:  # a wrong URL stays wrong: do not retry
                    break
            if attempt < self.attempts:
                time.sleep(2.0 * attempt)
        raise FxFeedError(f"GET {self.url} {last_error}")


def parse_eurofxref(text: str, origin: str) -> pl.DataFrame:
    """eurofxref CSV text -> (rate_date, currency, units_per_base); a malformed feed fails."""
    wide = pl.read_csv(io.StringIO(text), infer_schema=False)
    wide = wide.select([name for name in wide.columns if name.strip()])  # trailing comma
    if not wide.columns or wide.columns[0] != "Date":
        raise FxFeedError(f"{origin}: expected a Date column first, got {wide.columns[:3]}")
    long = wide.unpivot(index="Date", variable_name="currency", value_name="text").filter(
        pl.col("text").str.strip_chars().is_in(["N/A", ""]).not_() & pl.col("text").is_not_null()
    )
    parsed = long.select(
        rate_date=pl.col("Date").str.to_date("%Y-%m-%d", strict=False),
        currency=pl.col("currency").str.strip_chars(),
        units_per_base=pl.col("text").str.strip_chars().cast(pl.Decimal(18, 6), strict=False),
        text=pl.col("text"),
    )
    bad = parsed.filter(pl.col("rate_date").is_null() | pl.col("units_per_base").is_null())
    if bad.height:
        raise FxFeedError(f"{origin}: unreadable values, first: {bad.row(0, named=True)}")
    return parsed.drop("text").sort("currency", "rate_date")

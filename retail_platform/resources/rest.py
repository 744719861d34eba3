"""The commerce REST API: bearer-token auth and cursor pagination."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import httpx
from pydantic import Field


class CommerceApiError(RuntimeError):
    pass


@dataclass(frozen=True)
class Page:
    records: list[Any]
    source_key: str
    """The endpoint and page token that produced the page, for bronze lineage."""


class CommerceApiResource(dg.ConfigurableResource):
    base_url: str = Field(description="Base URL of the commerce API, e.g. https://api.shop.example")
    api_token: str = Field(description="Bearer token; set from an environment variable.")
    page_size: int = Field(default=500, description="Records requested per page.")
    timeout_seconds: float = Field(default=30.0)

    def iter_pages(self, path: str, params: Mapping[str, str]) -> Iterator[Page]:
        """Yields every page of a cursor-paginated endpoint, following next_page_token."""
        query = {**params, "limit": str(self.page_size)}
        page_token: str | None = None
        with httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.api_token}"},
            timeout=self.timeout_seconds,
        ) as client:
            while True:
                if page_token:
                    query["page_token"] = page_token
                source_key = f"{path}?{httpx.QueryParams(query)}"
                try:
                    response = client.get(path, params=query)
                except httpx.HTTPError as error:
                    raise CommerceApiError(f"GET {source_key} failed: {error}") from error
                if response.status_code != 200:
                    raise CommerceApiError(
                        f"GET {source_key} answered {response.status_code}: {response.text[:300]}"
                    )
                body = response.json()
                yield Page(records=body.get("data", []), source_key=source_key)
                page_token = body.get("next_page_token")
                if not page_token:
                    return

"""Settings of the `sources` layer as light frozen dataclasses: `[http]` and one configured feed.

Kept apart from the modules that use them (which import httpx and feedparser) so that reading the configuration,
which every `foresight` command does first, loads no network library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TOOL_NAME = "foresight"
TOOL_VERSION = "0.1"


@dataclass(frozen=True)
class HttpSettings:
    """`[http]`: the one HTTP client's timeouts, retries, politeness and limits."""

    contact: str = ""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    retries: int = 4
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_after_max_s: float = 120.0
    max_response_bytes: int = 20_000_000
    min_interval_s: float = 1.0
    host_min_interval_s: Mapping[str, float] = field(default_factory=lambda: {"api.openalex.org": 0.1})
    respect_robots: bool = True

    def __post_init__(self) -> None:
        # Host names are case-insensitive; the client looks them up lower-case.
        object.__setattr__(self, "host_min_interval_s", {k.lower(): v for k, v in self.host_min_interval_s.items()})

    @property
    def user_agent(self) -> str:
        contact = f"; {self.contact}" if self.contact else ""
        return f"{TOOL_NAME}/{TOOL_VERSION} (technology foresight for the Metropole Ruhr{contact})"


@dataclass(frozen=True)
class FeedSpec:
    """One configured feed: a short `name` (the source name in the warehouse), its URL and options."""

    name: str = ""  # the source name in the warehouse; default feed:<host/path>
    url: str = ""
    language: str | None = None  # else the feed's own
    full_text: bool = False  # fetch each article page for its full text

    def __post_init__(self) -> None:
        url = str(self.url or "").strip()
        if not url:
            raise ValueError(f"feed {self.name!r} has no url")
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "name", str(self.name or "").strip() or feed_source_name(url))
        object.__setattr__(self, "language", self.language or None)


def feed_source_name(url: str) -> str:
    """A readable source name for an ad hoc feed: ``feed:host/path``."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return f"feed:{parts.netloc.lower()}{path}" + (f"?{parts.query}" if parts.query else "")

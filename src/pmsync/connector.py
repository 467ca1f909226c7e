"""What the core asks of a tracker connector, and the plain values it passes.

A connector plugin registers a ConnectorFactory through the ``register_connectors``
hook; the connectors it makes have the Connector methods. The core never names a
tracker: it hands the connector its TrackerConfig and speaks only in model records.
Shared HTTP, retry, paging and option code for connectors is in ``pmsync.kit``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pmsync.kit.options import OptionSchema
from pmsync.model import Change, Link, Release, Sprint, WorkItem

if TYPE_CHECKING:
    from pmsync.config import TrackerConfig


# The one cursor key the core reads: the IANA time zone of the site's calendar (the
# user's zone: Jira's /myself timeZone, ClickUp's configured time_zone). "Today", due
# dates and sprint days of that tracker's items are judged in it.
CALENDAR_KEY = "time_zone"


@dataclass(frozen=True)
class SyncBatch:
    """One page of what a tracker holds.

    ``cursor`` is the connector's own state (JSON-able): where the next sync resumes
    and what it learnt of the site; it is stored with the data, in one transaction.
    Its ``CALENDAR_KEY`` entry, when present, names the site's time zone.
    ``present_keys``, when given, is every item key the tracker still has: stored
    items of this tracker that are not in it were deleted or moved away.
    """

    items: tuple[WorkItem, ...] = ()
    sprints: tuple[Sprint, ...] = ()
    releases: tuple[Release, ...] = ()
    links: tuple[Link, ...] = ()
    changes: tuple[Change, ...] = ()
    present_keys: frozenset[str] | None = None
    cursor: dict[str, Any] | None = None


@dataclass(frozen=True)
class AlertFact:
    label: str
    text: str
    link_key: str | None = None  # an item key the fact refers to, rendered as a link
    link_url: str | None = None


@dataclass(frozen=True)
class AlertMessage:
    """A tracker-neutral comment: the connector renders it in its own format."""

    fingerprint: str
    headline: str
    facts: tuple[AlertFact, ...] = ()
    advice: str = ""
    resolved_on: str | None = None  # ISO date when the problem went away
    report_url: str | None = None  # where the whole story is, when a comment must be cut short


@dataclass(frozen=True)
class Comment:
    id: str
    fingerprint: str | None  # the pmsync marker in the comment's footer, if any
    mine: bool = False  # written by the account pmsync runs as: only these are ever touched
    text: str = ""  # the body as plain text, to tell whether an edit would change anything


@dataclass(frozen=True)
class PublishedPage:
    page_id: str
    version: int
    url: str


@dataclass(frozen=True)
class PageRequest:
    title: str
    body: str  # already rendered in the connector's page_format
    page_id: str | None = None  # from the page ledger, when known
    version: int = 0  # the version the ledger last saw (for trackers that do not count)
    extra: dict[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    """A connector instance: one configured tracker."""

    kind: ClassVar[str]
    page_format: ClassVar[str]  # template flavour for pages, e.g. "confluence" or "markdown"
    page_images: ClassVar[str]  # charts "inline" in the page, or as "attachment" files

    @property
    def publishes_pages(self) -> bool:
        """Whether this tracker has a page target (Confluence space, ClickUp Doc) configured."""

    # Optional: ``publishes_pages_for(cls, tracker) -> bool``, the same answer read from the
    # config alone, before a connector (and so its secret) is made. With it, a report that
    # writes local files only needs no token; without it, the connector is made to ask.

    def check_auth(self) -> str:
        """Who we are on the tracker; raises AuthError when credentials are refused."""

    def fetch(self, cursor: dict[str, Any] | None) -> Iterator[SyncBatch]:
        """Everything changed since ``cursor`` (all of it when None), page by page."""

    def list_comments(self, item_key: str) -> list[Comment]: ...

    def post_comment(self, item_key: str, message: AlertMessage) -> str: ...

    def edit_comment(self, item_key: str, comment_id: str, message: AlertMessage) -> None: ...

    def delete_comment(self, item_key: str, comment_id: str) -> None:
        """Only ever called for a comment of ours (``Comment.mine``) that repeats another."""

    def comment_text(self, message: AlertMessage) -> str:
        """``message`` as the plain ``Comment.text`` a comment holding it reads back as."""

    def existing_keys(self, item_keys: list[str]) -> dict[str, str | None]:
        """Each item key as the tracker knows it now: the same key, the key a moved item
        has now, or None when the item was deleted. Cheap: keys only, batched."""

    def publish_page(self, request: PageRequest) -> PublishedPage: ...

    def item_url(self, item_key: str) -> str: ...


class ConnectorFactory(Protocol):
    """What a plugin registers: makes a Connector for one tracker table, and declares the
    table's options (``OptionSchema``: validation, defaults and the README table)."""

    kind: str
    options: OptionSchema

    def validate_config(self, tracker: TrackerConfig) -> None:
        """Checks across options that one option alone cannot express (may do nothing)."""

    def __call__(self, tracker: TrackerConfig) -> Connector: ...


class LazyConnector:
    """A ConnectorFactory naming its class, imported only when a tracker is actually used.

    ``pmsync check`` and config validation then never pay for an HTTP client stack.
    """

    def __init__(self, kind: str, target: str, options: OptionSchema,
                 validate: Callable[[TrackerConfig], None] | None = None):
        self.kind = kind
        self.target = target  # "package.module:ClassName"
        self.options = options
        self._validate = validate

    def validate_config(self, tracker: TrackerConfig) -> None:
        if self._validate is not None:
            self._validate(tracker)

    def load(self) -> type[Connector]:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)

    def __call__(self, tracker: TrackerConfig) -> Connector:
        return self.load()(tracker)

    def publishes_pages_for(self, tracker: TrackerConfig) -> bool | None:
        """The class's own ``publishes_pages_for(tracker)``; None when it has none."""
        ask = getattr(self.load(), "publishes_pages_for", None)
        return None if ask is None else bool(ask(tracker))

"""The common product model: plain frozen records, tracker-neutral names.

Every key is ``<tracker>:<native key>`` so items from several trackers can
live in one portfolio. Every datetime is timezone-aware (UTC once stored).

An item's or sprint's product line is configuration, not tracker data: connectors
give the raw facets, ``Portfolio.build`` decides the line from the configured
``[[product_lines]]``, and the store never keeps it (``DERIVED`` fields are left out
of the stored forms), so editing the lines takes effect on the next check.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import marshal
import operator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Kind = Literal["epic", "story", "task", "bug", "subtask"]
StatusCategory = Literal["todo", "doing", "done", "cancelled"]
SprintState = Literal["future", "active", "closed"]
Severity = Literal["info", "warning", "critical"]

SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")

# A facet is one (name, value) fact a connector knows about a tracker object,
# e.g. ("project", "PAY") or ("label", "mobile"); product-line selectors match on them.
Facet = tuple[str, str]

# Field metadata for values worked out when the portfolio is built, never stored.
DERIVED = {"derived": True}


def make_key(tracker: str, native_key: str) -> str:
    return f"{tracker}:{native_key}"


def split_key(key: str) -> tuple[str, str]:
    tracker, _, native = key.partition(":")
    return tracker, native


def facet_value(facets: tuple[Facet, ...], name: str) -> str | None:
    for facet, value in facets:  # a plain loop: every item's name asks, a million times
        if facet == name:
            return value
    return None


@dataclass(frozen=True, slots=True)
class WorkItem:
    key: str
    kind: Kind
    title: str
    status: str
    status_category: StatusCategory
    product_line: str | None = field(default=None, metadata=DERIVED)  # set by Portfolio.build
    parent_key: str | None = None
    sprint_keys: tuple[str, ...] = ()
    start: date | None = None
    due: date | None = None
    estimate: float | None = None
    assignee: str | None = None
    labels: tuple[str, ...] = ()
    release_keys: tuple[str, ...] = ()
    url: str | None = None
    created: datetime | None = None
    updated: datetime | None = None
    done_at: datetime | None = None
    facets: tuple[Facet, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status_category not in ("done", "cancelled")

    @property
    def name(self) -> str:
        """How a person names it: the tracker's display key (a ClickUp custom task id, or
        the task's name where the workspace has none; facet "display_key"), else the
        native key (PAY-12). Never the tracker-qualified key, which is for machines."""
        return facet_value(self.facets, "display_key") or split_key(self.key)[1]


@dataclass(frozen=True, slots=True)
class Sprint:
    key: str
    name: str
    state: SprintState
    product_line: str | None = field(default=None, metadata=DERIVED)  # set by Portfolio.build
    start: datetime | None = None
    end: datetime | None = None
    completed: datetime | None = None
    goal: str | None = None
    facets: tuple[Facet, ...] = ()

    @property
    def url(self) -> str | None:
        """Its board or report page, when the connector knows one (facet "url")."""
        return facet_value(self.facets, "url")


@dataclass(frozen=True, slots=True)
class Link:
    blocker_key: str
    blocked_key: str
    link_type: str = "Blocks"

    @property
    def key(self) -> str:
        return f"{self.blocker_key}->{self.blocked_key}"


@dataclass(frozen=True, slots=True)
class Release:
    key: str
    name: str
    release_date: date | None = None
    released: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """One field change from a tracker's history (e.g. the due date moved)."""

    item_key: str
    field: str  # due, start, sprint, estimate, status
    at: datetime
    old: str | None
    new: str | None
    change_id: str = ""



@dataclass(frozen=True)
class Selector:
    """Maps tracker objects to a product line: every given facet must match."""

    tracker: str
    facets: tuple[Facet, ...]

    def matches(self, tracker: str, facets: tuple[Facet, ...]) -> bool:
        return tracker == self.tracker and all(f in facets for f in self.facets)


@dataclass(frozen=True)
class ProductLine:
    name: str
    selectors: tuple[Selector, ...] = ()
    alerts: str = "each"  # or "digest": one comment per epic listing all its findings


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    subject_key: str
    product_line: str | None
    message: str
    related_keys: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()
    fingerprint: str = field(default="")

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(
                self, "fingerprint", fingerprint(self.rule, self.subject_key, self.related_keys)
            )


def fingerprint(rule: str, subject_key: str, related_keys: tuple[str, ...] = ()) -> str:
    """Stable across runs and unrelated edits: rule + subject + sorted related keys only."""
    basis = "\x1f".join([rule, subject_key, *sorted(related_keys)])
    return hashlib.sha256(basis.encode()).hexdigest()[:20]


RECORD_TYPES: dict[str, type] = {
    "item": WorkItem,
    "sprint": Sprint,
    "link": Link,
    "release": Release,
}


def record_kind(record: Any) -> str:
    kind = _KIND_OF.get(type(record))  # the exact type: one lookup per record written
    if kind is not None:
        return kind
    for name, cls in RECORD_TYPES.items():
        if isinstance(record, cls):
            return name
    raise TypeError(f"not a model record: {type(record).__name__}")


_KIND_OF = {cls: name for name, cls in RECORD_TYPES.items()}


def to_json(record: Any) -> dict[str, Any]:
    """A JSON-ready dict; dates become ISO strings, tuples lists."""
    return {name: _encode(getattr(record, name)) for name in _field_names(type(record))}


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """The stored fields, in order (derived ones are worked out on load, not kept)."""
    return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("derived"))


@functools.cache
def _derived_defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls) if f.metadata.get("derived")}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def from_json(kind: str, data: dict[str, Any]) -> Any:
    """A record back from its JSON; fields a stored record lacks (written by an older
    pmsync) get their defaults."""
    cls = RECORD_TYPES[kind]
    decoders = _decoders(cls)
    values = {**_defaults(cls), **{name: (decoders[name](value) if value is not None else None)
                                   for name, value in data.items() if name in decoders}}
    return _filler(cls)(*(values[name] for name in _all_fields(cls)))


@functools.cache
def _all_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@functools.cache
def _filler(cls: type, stored: bool = False) -> Any:
    """``make(*values)``: a record from its fields' values in declaration order (with
    ``stored``: the stored fields' only, the derived ones at their defaults).

    Loading a portfolio makes a million records; the frozen ``__init__`` pays a
    per-field ``object.__setattr__`` call from Python. This sets each slot through its
    descriptor from one generated function instead (frozen only guards ``setattr``),
    as fast as filling a ``__dict__`` was, without the dict (about 300 bytes a record).
    """
    names = _all_fields(cls)
    params = _field_names(cls) if stored else names
    scope: dict[str, Any] = {"new_": object.__new__, "cls_": cls}
    body = []
    for name in names:
        scope[f"set_{name}"] = getattr(cls, name).__set__
        if name in params:
            body.append(f"    set_{name}(record_, {name})\n")
        else:
            scope[f"default_{name}"] = _derived_defaults(cls)[name]
            body.append(f"    set_{name}(record_, default_{name})\n")
    source = (f"def make({', '.join(params)}):\n    record_ = new_(cls_)\n{''.join(body)}"
              "    return record_\n")
    exec(source, scope)  # noqa: S102 - field names of our own dataclasses, nothing else
    return scope["make"]


@functools.cache
def _defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING}


def _identity(value: Any) -> Any:
    return value


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(pair) for pair in value)


@functools.cache
def _decoders(cls: type) -> dict[str, Any]:
    """One converter per field, chosen once per record type from its annotations."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.metadata.get("derived"):
            continue  # an older store's copy of it is stale by definition: ignore it
        text = str(f.type)
        if "datetime" in text:
            out[f.name] = datetime.fromisoformat
        elif "date" in text:
            out[f.name] = date.fromisoformat
        elif "tuple[Facet" in text or "tuple[tuple" in text:
            out[f.name] = _pairs
        elif text.startswith("tuple"):
            out[f.name] = tuple
        else:
            out[f.name] = _identity
    return out


# Packed records: the same values as to_json, positional, in marshal's format (standard
# library, data only). Loading 100,000 items from JSON costs seconds; from this, a tenth.
def pack(record: Any) -> bytes:
    return marshal.dumps(pack_values(record))


def pack_values(record: Any) -> tuple[Any, ...]:
    """The stored fields' values, dates as ISO strings: what ``pack`` writes.

    A sync packs every record it fetched, so this reads all fields in one C call and
    converts only the fields the type declares as dates (issue 14's write path)."""
    values, dates = _packer(type(record))
    got = values(record)
    if not dates:
        return got
    out = list(got)
    for index in dates:
        if out[index] is not None:
            out[index] = out[index].isoformat()
    return tuple(out)


@functools.cache
def _packer(cls: type) -> tuple[Any, tuple[int, ...]]:
    """A getter of the stored fields' values (always a tuple), and the date fields' places."""
    names = _field_names(cls)
    many = operator.attrgetter(*names)
    getter = many if len(names) > 1 else (lambda record: (many(record),))
    return getter, tuple(index for index, _ in _date_fields(cls))


def json_text(record: Any, values: tuple[Any, ...] | None = None) -> str:
    """The record's JSON text, keys sorted (its stored form and content hash). From its
    ``pack_values`` when given: json writes tuples as lists, so it is to_json's text."""
    values = pack_values(record) if values is None else values
    names, order = _sorted_fields(type(record))
    # The dict is built in key order, so no sort_keys pass: the same text (values hold no
    # dicts whose keys would need sorting).
    return _DUMPS({names[i]: values[i] for i in order})


_DUMPS = json.JSONEncoder(ensure_ascii=True).encode


@functools.cache
def _sorted_fields(cls: type) -> tuple[tuple[str, ...], tuple[int, ...]]:
    names = _field_names(cls)
    return names, tuple(sorted(range(len(names)), key=names.__getitem__))


def unpack(kind: str, blob: bytes, shared: dict[Any, Any] | None = None) -> Any:
    """A record from its packed form. ``shared``: one dict for a whole load, so the values
    many records repeat (statuses, kinds, facets, sprint lists, parent and linked keys)
    are held once, not once per record (a million items hold a handful of statuses)."""
    shared = {} if shared is None else shared
    try:
        return _unpacker(RECORD_TYPES[kind])(blob, shared.setdefault)
    except TypeError:  # an unhashable value (a list a plugin stored): kept as it is
        return _unpacker(RECORD_TYPES[kind])(blob, _keep)


def _keep(value: Any, _: Any) -> Any:
    return value


def unpacker(kind: str, shared: dict[Any, Any]) -> Any:
    """``unpack(kind, blob, shared)`` as a one-argument function, its lookups done once:
    a load calls it for every stored record (two million at 1M items and links)."""
    fast, share = _unpacker(RECORD_TYPES[kind]), shared.setdefault

    def load(blob: bytes) -> Any:
        try:
            return fast(blob, share)
        except TypeError:  # as in unpack
            return fast(blob, _keep)

    return load


@functools.cache
def _unpacker(cls: type) -> Any:
    """``unpack_record(blob, share)``, generated once per record type: the stored values
    unpacked into locals, dates parsed, repeated values shared, the record made, in one
    call (a million of them load a portfolio: no per-field loop, no list)."""
    names = _field_names(cls)
    dates = dict(_date_fields(cls))
    args = []
    for index, name in enumerate(names):
        value = f"v_{name}"
        if index in dates:
            args.append(f"date_{index}({value}) if {value} is not None else None")
        elif name in SHARED_FIELDS:
            args.append(f"share({value}, {value}) if {value} else {value}")
        else:
            args.append(value)
    source = (f"def unpack_record(blob, share):\n"
              f"    ({', '.join(f'v_{n}' for n in names)},) = loads(blob)\n"
              f"    return make({', '.join(args)})\n")
    scope: dict[str, Any] = {"loads": marshal.loads, "make": _filler(cls, stored=True),
                             **{f"date_{i}": convert for i, convert in dates.items()}}
    exec(source, scope)  # noqa: S102 - field names of our own dataclasses, nothing else
    return scope["unpack_record"]


def with_product_line(record: Any, line: str | None, owned: bool = False) -> Any:
    """The record carrying ``line``: a copy, or (``owned``: a record just loaded that
    nobody else holds yet) the record itself, its slot set in place."""
    if owned:
        object.__setattr__(record, "product_line", line)  # frozen guards setattr only
        return record
    return dataclasses.replace(record, product_line=line)


# Fields whose values repeat across records: interned on load. Keys too, so a link's
# ends and an item's parent share the item's own key string.
SHARED_FIELDS = frozenset({"key", "kind", "status", "status_category", "parent_key",
                           "sprint_keys", "labels", "release_keys", "facets", "assignee",
                           "state", "blocker_key", "blocked_key", "link_type"})


@functools.cache
def _shared_fields(cls: type) -> tuple[int, ...]:
    return tuple(index for index, name in enumerate(_field_names(cls)) if name in SHARED_FIELDS)


@functools.cache
def _date_fields(cls: type) -> tuple[tuple[int, Any], ...]:
    decoders = _decoders(cls)
    return tuple((index, decoders[name]) for index, name in enumerate(_field_names(cls))
                 if decoders[name] in (datetime.fromisoformat, date.fromisoformat))

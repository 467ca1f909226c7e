"""Tracker text is masked before it is stored: no secret reaches the store in any form.

Titles, sprint names, labels and the rest are written by people (or by anyone who can
file an issue), so a token pasted there, as it is, percent-encoded or inside a base64
Basic header, would otherwise be stored verbatim and go on from the store into `check`,
reports, pages and comments. The masking is the log's own (``logs.mask_secrets``: every
secret pmsync was given, in each encoding it knows); this module only finds the text.

A sync writes every record it fetches through here, so the common case (no secret
anywhere) must cost next to nothing: one C-level serialisation of a page's text fields
and one search per secret form. Only a page where some form turns up is walked.
"""

from __future__ import annotations

import dataclasses
import functools
import marshal
import operator
from collections.abc import Callable
from typing import Any

from pmsync.connector import SyncBatch
from pmsync.logs import mask_secrets, secret_forms


def scrubbed(batch: SyncBatch) -> SyncBatch:
    """``batch`` with every secret in its text masked (``batch`` itself when there is none)."""
    needles = _needles(secret_forms())
    if not needles or not _holds(_text_of(batch), needles):
        return batch
    return SyncBatch(
        items=_records(batch.items, needles),
        sprints=_records(batch.sprints, needles),
        releases=_records(batch.releases, needles),
        links=_records(batch.links, needles),
        changes=_records(batch.changes, needles),
        # Item keys are masked like everything else, so the keys still present match them.
        present_keys=None if batch.present_keys is None
        else frozenset(map(mask_secrets, batch.present_keys)),
        cursor=_value(batch.cursor),
    )


@functools.cache
def _needles(forms: frozenset[str]) -> tuple[bytes, ...]:
    """The forms to search for, as UTF-8: only the shortest of any that hold one another
    (the Basic header holds the token's own base64), since text holding the longer one
    holds the shorter one too."""
    kept: list[str] = []
    for form in sorted(forms, key=len):
        if not any(shorter in form for shorter in kept):
            kept.append(form)
    return tuple(form.encode("utf-8", "surrogatepass") for form in kept)


def _holds(blob: bytes | None, needles: tuple[bytes, ...]) -> bool:
    return blob is None or any(needle in blob for needle in needles)


def _text_of(batch: SyncBatch) -> bytes | None:
    """Every string of the batch in one marshal dump (None: something marshal cannot
    write, a plugin's own type; then every record is looked at). marshal keeps each string
    whole, as UTF-8, so a string holding a form holds its bytes; a form spanning two
    strings is a false alarm, which only costs the walk. One C-level dump a page: the
    common case, no secret anywhere, costs next to nothing."""
    values: list[Any] = [batch.cursor, tuple(batch.present_keys or ())]
    for records in (batch.items, batch.sprints, batch.releases, batch.links, batch.changes):
        kinds = set(map(type, records))  # one kind of record, as a rule: one getter for all
        values += map(_text_fields(kinds.pop()) if len(kinds) == 1 else _text_fields_of,
                      records)
    try:
        return marshal.dumps(values)
    except ValueError:
        return None


def _records(records: tuple[Any, ...], needles: tuple[bytes, ...]) -> tuple[Any, ...]:
    """The records, those holding a secret form masked (the others as they are)."""
    return tuple(_record(record) if _holds(_dump(_text_fields_of(record)), needles) else record
                 for record in records)


def _dump(values: Any) -> bytes | None:
    try:
        return marshal.dumps(values)
    except ValueError:
        return None


def _text_fields_of(record: Any) -> tuple[Any, ...]:
    return _text_fields(type(record))(record)


@functools.cache
def _text_fields(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """A getter (one C call) of the fields of ``cls`` that can hold text; dates hold none
    and marshal cannot write them."""
    names = tuple(f.name for f in dataclasses.fields(cls) if "date" not in str(f.type))
    if not names:
        return lambda record: ()
    many = operator.attrgetter(*names)
    return many if len(names) > 1 else (lambda record: (many(record),))


def _record(record: Any) -> Any:
    changes = {f.name: masked for f in dataclasses.fields(record)
               if (masked := _value(value := getattr(record, f.name))) is not value}
    return dataclasses.replace(record, **changes) if changes else record


def _value(value: Any) -> Any:
    """``value`` with its strings masked, however deep in tuples, lists and dicts; the
    same object when nothing in it changed."""
    if isinstance(value, str):
        masked = mask_secrets(value)
    elif isinstance(value, tuple | list):
        masked = type(value)(map(_value, value))
    elif isinstance(value, dict):
        masked = {_value(k): _value(v) for k, v in value.items()}
    else:
        return value
    return value if masked == value else masked

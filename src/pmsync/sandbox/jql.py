"""Enough JQL to serve the searches real clients send.

Clauses on project, key, id, issuetype, status, statusCategory, parent,
labels, resolution, created, updated and duedate; AND / OR / NOT and
parentheses; = != > >= < <= in, not in, is, is not; EMPTY / null; relative
dates (-5d); ORDER BY. Dates in JQL are read in the searching user's timezone,
as Jira does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Predicate = Callable[[dict[str, Any]], bool]

TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~|\(|\)|,)
      | (?P<word>[^\s"'=!<>~(),]+)
    )""",
    re.VERBOSE,
)
DATE_FIELDS = {"created", "updated", "duedate", "resolutiondate", "due", "createddate", "updateddate"}


class JqlError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    predicate: Predicate | None  # None: no WHERE clause at all (unbounded)
    order_by: tuple[tuple[str, bool], ...]  # (field, descending)

    def matches(self, issue: dict[str, Any]) -> bool:
        return self.predicate is None or self.predicate(issue)

    def sort(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ordered = list(issues)
        for field, descending in reversed(self.order_by):
            ordered.sort(key=lambda issue, f=field: _sort_key(issue, f), reverse=descending)
        return ordered


def parse(text: str, tz: str = "UTC", now: datetime | None = None,
          keys: Callable[[str], str | None] | None = None) -> Query:
    """``keys`` maps an issue key to the issue's current one (moved issues keep answering to
    their old keys), or None when no such issue exists, which Jira rejects."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, ZoneInfo(tz), now or datetime.now(ZoneInfo(tz)), keys)
    return parser.query()


def _tokenize(text: str) -> list[str]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise JqlError(
                f"Error in the JQL Query: The character '{text[pos]}' is a reserved JQL character."
            )
        tokens.append(match.group(match.lastgroup).strip())
        pos = match.end()
    return [t for t in tokens if t]


class _Parser:
    def __init__(self, tokens: list[str], tz: ZoneInfo, now: datetime,
                 keys: Callable[[str], str | None] | None = None):
        self.tokens, self.pos, self.tz, self.now = tokens, 0, tz, now
        self.keys = keys

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: Expecting more input at the end of the query.")
        self.pos += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.lower() in words

    def query(self) -> Query:
        predicate = None
        if self.peek() is not None and not self.at_word("order"):
            predicate = self.or_clause()
        order: list[tuple[str, bool]] = []
        if self.at_word("order"):
            self.take()
            if not self.at_word("by"):
                raise JqlError("Error in the JQL Query: Expecting 'by' after 'order'.")
            self.take()
            while True:
                field = _unquote(self.take()).lower()
                descending = False
                if self.at_word("asc", "desc"):
                    descending = self.take().lower() == "desc"
                order.append((field, descending))
                if self.peek() != ",":
                    break
                self.take()
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: Expecting end of query but got '{self.peek()}'.")
        return Query(predicate, tuple(order))

    def or_clause(self) -> Predicate:
        parts = [self.and_clause()]
        while self.at_word("or"):
            self.take()
            parts.append(self.and_clause())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def and_clause(self) -> Predicate:
        parts = [self.term()]
        while self.at_word("and"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def term(self) -> Predicate:
        if self.at_word("not"):
            self.take()
            inner = self.term()
            return lambda i: not inner(i)
        if self.peek() == "(":
            self.take()
            inner = self.or_clause()
            if self.take() != ")":
                raise JqlError("Error in the JQL Query: Expecting ')'.")
            return inner
        field = _unquote(self.take()).lower()
        op = self.take().lower()
        if op == "not" and self.at_word("in"):
            self.take()
            op = "not in"
        if op == "is" and self.at_word("not"):
            self.take()
            op = "is not"
        if op in ("in", "not in"):
            values = self.value_list(field)
            hit = lambda i: any(_equal(_value(i, field), v) for v in values)  # noqa: E731
            return hit if op == "in" else (lambda i: not hit(i))
        if op in ("is", "is not"):
            word = self.take().lower()
            if word not in ("empty", "null"):
                raise JqlError(f"Error in the JQL Query: Expecting EMPTY after '{op}'.")
            empty = lambda i: _value(i, field) in (None, [], "")  # noqa: E731
            return empty if op == "is" else (lambda i: not empty(i))
        if op not in ("=", "!=", ">", ">=", "<", "<="):
            raise JqlError(f"Error in the JQL Query: The operator '{op}' is not supported here.")
        value = self.value(field)
        return _compare(field, op, value)

    def value_list(self, field: str) -> list[Any]:
        if self.take() != "(":
            raise JqlError("Error in the JQL Query: Expecting '(' before the list of values.")
        values = [self.value(field)]
        while self.peek() == ",":
            self.take()
            values.append(self.value(field))
        if self.take() != ")":
            raise JqlError("Error in the JQL Query: Expecting ')' after the list of values.")
        return values

    def value(self, field: str) -> Any:
        raw = self.take()
        if raw in ("(", ")", ","):
            raise JqlError(f"Error in the JQL Query: Expecting a value for field '{field}'.")
        text = _unquote(raw)
        if field in DATE_FIELDS:
            return self.date_value(field, text)
        if field in ("key", "issuekey") and self.keys and re.fullmatch(r"[A-Za-z][\w]*-\d+", text):
            current = self.keys(text.upper())
            if current is None:
                raise JqlError(f"An issue with key '{text}' does not exist for field '{field}'.")
            return current
        return text

    def date_value(self, field: str, text: str) -> datetime:
        relative = re.fullmatch(r"([-+]?)(\d+)([wdhm])", text)
        if relative:
            sign = -1 if relative.group(1) == "-" else 1
            unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[relative.group(3)]
            return self.now + sign * timedelta(**{unit: int(relative.group(2))})
        for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=self.tz)
            except ValueError:
                continue
        raise JqlError(
            f"Error in the JQL Query: Date value '{text}' for field '{field}' is invalid. Valid formats "
            "include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        )


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _compare(field: str, op: str, value: Any) -> Predicate:
    def check(issue: dict[str, Any]) -> bool:
        actual = _value(issue, field)
        if op == "=":
            return _equal(actual, value)
        if op == "!=":
            return actual is not None and not _equal(actual, value)
        if actual is None:
            return False
        left, right = _ordered(actual, value, field)
        return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]

    return check


def _ordered(actual: Any, value: Any, field: str) -> tuple[Any, Any]:
    if isinstance(value, datetime):
        if isinstance(actual, date) and not isinstance(actual, datetime):
            return actual, value.date()
        return actual, value
    if field in ("key", "issuekey", "id"):
        return _key_order(str(actual)), _key_order(str(value))
    return str(actual).lower(), str(value).lower()


def _equal(actual: Any, value: Any) -> bool:
    if isinstance(actual, list):
        return any(_equal(a, value) for a in actual)
    if isinstance(actual, tuple):  # several names for one thing (key, id, name)
        return any(_equal(a, value) for a in actual)
    if isinstance(value, datetime):
        if isinstance(actual, datetime):
            return actual == value
        return isinstance(actual, date) and actual == value.date()
    return actual is not None and str(actual).lower() == str(value).lower()


def _value(issue: dict[str, Any], field: str) -> Any:
    f = issue["fields"]
    if field in ("key", "issuekey"):
        return (issue["key"], issue["id"])
    if field == "id":
        return issue["id"]
    if field == "project":
        p = f["project"]
        return (p["key"], p["id"], p["name"])
    if field in ("issuetype", "type"):
        return f["issuetype"]["name"]
    if field == "status":
        return (f["status"]["name"], f["status"]["id"])
    if field == "statuscategory":
        cat = f["status"]["statusCategory"]
        return (cat["name"], cat["key"], str(cat["id"]))
    if field == "parent":
        return (f["parent"]["key"], f["parent"]["id"]) if f.get("parent") else None
    if field == "labels":
        return f.get("labels") or None
    if field == "resolution":
        return f["resolution"]["name"] if f.get("resolution") else None
    if field in ("created", "createddate"):
        return _parse_time(f["created"])
    if field in ("updated", "updateddate"):
        return _parse_time(f["updated"])
    if field == "resolutiondate":
        return _parse_time(f["resolutiondate"]) if f.get("resolutiondate") else None
    if field in ("duedate", "due"):
        return date.fromisoformat(f["duedate"]) if f.get("duedate") else None
    raise JqlError(
        f"Field '{field}' does not exist or you do not have permission to view it."
    )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # Python 3.11+ reads Jira's +0000 offsets


def _key_order(key: str) -> tuple[str, int]:
    project, _, number = key.rpartition("-")
    return (project, int(number)) if number.isdigit() else (key, 0)


def _sort_key(issue: dict[str, Any], field: str) -> Any:
    if field in ("key", "issuekey", "id"):
        return _key_order(issue["key"]) if field != "id" else int(issue["id"])
    value = _value(issue, field)
    if isinstance(value, tuple):
        value = value[0]
    if value is None:
        return (1, "")
    if isinstance(value, datetime | date):
        return (0, value.isoformat())
    return (0, str(value).lower())

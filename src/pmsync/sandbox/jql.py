"""JQL as public clients and people write it, against the sandbox's site.

Fields are looked up as Jira does, through the site's field catalogue (clause names,
``cf[NNNNN]``, custom field names such as "Story Points", "Epic Link"); an unknown field,
or a value no project / status / sprint / version ... has, is a 400 with Jira's message,
never a silent empty result. Operators: = != > >= < <= ~ !~ IN, NOT IN, IS [NOT] EMPTY,
WAS [NOT] [IN] (with BEFORE / AFTER / DURING / ON / BY), CHANGED (with FROM / TO and the
same predicates). Functions: currentUser(), openSprints(), closedSprints(), futureSprints(),
releasedVersions(), unreleasedVersions(), membersOf(), now(), startOfDay() and friends.
ORDER BY any field, Rank included. Dates are read in the searching user's time zone.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pmsync.sandbox.site import FLAGGED_ID

if TYPE_CHECKING:
    from pmsync.sandbox.site import Site

Predicate = Callable[[dict[str, Any]], bool]

TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~|\(|\)|,)
      | (?P<word>[^\s"'=!<>~(),]+(?:\[\d+\])?)
    )""",
    re.VERBOSE,
)
DATE_FIELDS = {"created", "updated", "duedate", "resolutiondate", "statuscategorychangedate",
               "lastviewed"}
TEXT_FIELDS = {"summary", "description", "comment", "environment", "text"}
HISTORY_FIELDS = {"assignee", "fixversion", "priority", "reporter", "resolution", "status"}
# System clauses and the field each one reads (lower-case clause -> canonical name).
CLAUSES = {
    "key": "key", "issuekey": "key", "issue": "key", "id": "key",
    "project": "project", "issuetype": "issuetype", "type": "issuetype", "status": "status",
    "statuscategory": "statuscategory", "parent": "parent", "labels": "labels",
    "resolution": "resolution", "priority": "priority", "assignee": "assignee",
    "reporter": "reporter", "creator": "creator", "fixversion": "fixversion",
    "component": "component", "sprint": "sprint", "created": "created",
    "createddate": "created", "updated": "updated", "updateddate": "updated",
    "resolved": "resolutiondate", "resolutiondate": "resolutiondate", "due": "duedate",
    "duedate": "duedate", "statuscategorychangeddate": "statuscategorychangedate",
    "summary": "summary", "description": "description", "comment": "comment",
    "environment": "environment", "text": "text", "rank": "rank", "epic link": "epic link",
    "lastviewed": "lastviewed", "flagged": "flagged",
}
UNRESOLVED = "unresolved"
ORDERING = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


class JqlError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    predicate: Predicate | None  # None: no WHERE clause at all (unbounded)
    order_by: tuple[tuple[str, bool], ...]  # (field, descending)
    site: Any = None
    # When the query starts with `project = X` or `project in (...)` ANDed with the rest:
    # that clause's values, and the predicate the rest makes (None: no rest). A search then
    # tests only those projects' issues, as an index would (a key range of one project
    # need not look at the others'); the answer is the same, the clause being first.
    projects: tuple[Any, ...] | None = None
    rest: Predicate | None = None

    def matches(self, issue: dict[str, Any]) -> bool:
        return self.predicate is None or self.predicate(issue)

    def select(self, site: Site) -> list[dict[str, Any]]:
        """The site's issues that match, in the site's order (unsorted)."""
        if self.projects is None:
            return [i for i in site.issues.values() if self.matches(i)]
        chosen = [group for project, group in _issues_by_project(site).items()
                  if any(_equal(project, v) for v in self.projects)]
        if len(chosen) == 1:
            pool = [issue for _, issue in chosen[0]]
        else:  # the site's order across projects
            pool = [issue for _, issue in sorted(itertools.chain(*chosen), key=_position)]
        rest = self.rest
        return pool if rest is None else [i for i in pool if rest(i)]

    def sort(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ordered = list(issues)
        for field, descending in reversed(self.order_by):
            ordered.sort(key=lambda issue, f=field: _sort_key(self.site, issue, f),
                         reverse=descending)
        return ordered


def parse(text: str, tz: str = "UTC", now: datetime | None = None,
          keys: Callable[[str], str | None] | None = None, site: Site | None = None) -> Query:
    """``keys`` maps an issue key to the issue's current one (moved issues keep answering to
    their old keys), or None when no such issue exists, which Jira rejects. ``site`` lets the
    query check fields and values against the site, as Jira does."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, ZoneInfo(tz), now or datetime.now(ZoneInfo(tz)), keys, site)
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


@dataclass(frozen=True)
class Window:
    """WAS / CHANGED predicates: a time window, and who made the change."""

    start: datetime | None = None
    end: datetime | None = None
    by: tuple[str, ...] | None = None
    old: tuple[Any, ...] | None = None  # CHANGED FROM
    new: tuple[Any, ...] | None = None  # CHANGED TO


class _Parser:
    def __init__(self, tokens: list[str], tz: ZoneInfo, now: datetime,
                 keys: Callable[[str], str | None] | None = None, site: Site | None = None):
        self.tokens, self.pos, self.tz, self.now = tokens, 0, tz, now
        self.keys, self.site = keys, site

    # tokens ---------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> str | None:
        index = self.pos + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: Expecting more input at the end of the query.")
        self.pos += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.lower() in words

    def expect(self, token: str, message: str) -> None:
        if self.take() != token:
            raise JqlError(f"Error in the JQL Query: {message}")

    # structure ------------------------------------------------------------------------
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
                field = self.field(_unquote(self.take()))
                descending = False
                if self.at_word("asc", "desc"):
                    descending = self.take().lower() == "desc"
                order.append((field, descending))
                if self.peek() != ",":
                    break
                self.take()
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: Expecting end of query but got '{self.peek()}'.")
        projects, rest = self.project_clause(predicate) if predicate else (None, None)
        return Query(predicate, tuple(order), self.site, projects, rest)

    def project_clause(self, predicate: Predicate) -> tuple[tuple[Any, ...] | None, Predicate | None]:
        """(values, rest) when ``predicate`` starts with a positive project clause, for
        Query.select; else (None, None)."""
        parts = getattr(predicate, "and_parts", None) or [predicate]
        values = getattr(parts[0], "project_values", None)
        if values is None:
            return None, None
        rest = parts[1:]
        if not rest:
            return values, None
        return values, rest[0] if len(rest) == 1 else (lambda i: all(p(i) for p in rest))

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
        if len(parts) == 1:
            return parts[0]
        both = lambda i: all(p(i) for p in parts)  # noqa: E731
        both.and_parts = parts  # type: ignore[attr-defined]  # see project_clause
        return both

    def term(self) -> Predicate:
        if self.at_word("not"):
            self.take()
            inner = self.term()
            return lambda i: not inner(i)
        if self.peek() == "(":
            self.take()
            inner = self.or_clause()
            self.expect(")", "Expecting ')'.")
            return inner
        raw = _unquote(self.take())
        field = self.field(raw)
        op = self.take().lower()
        if op == "not" and self.at_word("in"):
            self.take()
            op = "not in"
        elif op == "is" and self.at_word("not"):
            self.take()
            op = "is not"
        elif op == "was":
            if self.at_word("not"):
                self.take()
                op = "was not"
            if self.at_word("in"):
                self.take()
                op += " in"
        if op.startswith("was") or op == "changed":
            return self.history_clause(raw, field, op)
        site = self.site
        if op in ("in", "not in"):
            values = self.value_list(field)
            hit = _any_equal(site, field, values)
            if op == "in" and field == "project":
                hit.project_values = tuple(values)  # type: ignore[attr-defined]
            return hit if op == "in" else (lambda i: not hit(i) and _value(site, i, field) is not None)
        if op in ("is", "is not"):
            word = self.take().lower()
            if word not in ("empty", "null"):
                raise JqlError(f"Error in the JQL Query: Expecting EMPTY after '{op}'.")
            empty = lambda i: _value(site, i, field) in (None, [], "")  # noqa: E731
            return empty if op == "is" else (lambda i: not empty(i))
        if op in ("~", "!~"):
            if field not in TEXT_FIELDS:
                raise JqlError(f"The operator '{op}' is not supported by the '{raw}' field.")
            words = _words(str(self.value(field)))
            has = lambda i: _contains(site, i, field, words)  # noqa: E731
            return has if op == "~" else (lambda i: not has(i))
        if op not in ("=", "!=", ">", ">=", "<", "<="):
            raise JqlError(f"Error in the JQL Query: The operator '{op}' is not supported here.")
        value = self.value(field)
        if field == "resolution" and str(value).lower() == UNRESOLVED:
            # "Unresolved" is JQL's name for an empty resolution.
            return (lambda i: _value(site, i, field) is None) if op == "=" else (
                lambda i: _value(site, i, field) is not None)
        check = _compare(site, field, op, value)
        if op == "=" and field == "project":
            check.project_values = (value,)  # type: ignore[attr-defined]  # see project_clause
        return check

    def field(self, raw: str) -> str:
        """The canonical name of a clause, or Jira's 400 for a field the site lacks."""
        name = raw.lower()
        if name in CLAUSES:
            return CLAUSES[name]
        if self.site is None:
            raise JqlError(_no_field(raw))
        from pmsync.sandbox.jira_fields import field_by_clause

        found = field_by_clause(self.site, raw)
        if found is None:
            raise JqlError(_no_field(raw))
        if found["id"] == self.site.field_ids["sprint"]:
            return "sprint"
        if found["id"] == FLAGGED_ID:
            return "flagged"
        if found["id"] == self.site.field_ids.get("epic_link"):
            return "epic link"
        if found["custom"]:
            return "cf:" + found["id"]
        if found["id"] in CLAUSES:
            return CLAUSES[found["id"]]
        raise JqlError(_no_field(raw))

    # values ---------------------------------------------------------------------------
    def value_list(self, field: str) -> list[Any]:
        if self.peek() != "(":
            name = self.take()
            return self.list_function(name, field)
        self.take()
        values = [self.value(field)]
        while self.peek() == ",":
            self.take()
            values.append(self.value(field))
        self.expect(")", "Expecting ')' after the list of values.")
        return [v for value in values for v in (value if isinstance(value, list) else [value])]

    def arguments(self) -> list[str]:
        self.expect("(", "Expecting '(' after a function name.")
        args: list[str] = []
        while self.peek() != ")":
            args.append(_unquote(self.take()))
            if self.peek() == ",":
                self.take()
        self.take()
        return args

    def list_function(self, name: str, field: str) -> list[Any]:
        lowered = name.lower()
        args = self.arguments()
        site = self.site
        if lowered in ("opensprints", "closedsprints", "futuresprints"):
            state = {"opensprints": "active", "closedsprints": "closed",
                     "futuresprints": "future"}[lowered]
            return [str(s["id"]) for s in (site.sprints.values() if site else ()) if s["state"] == state]
        if lowered in ("releasedversions", "unreleasedversions", "latestreleasedversion",
                       "earliestunreleasedversion"):
            released = lowered in ("releasedversions", "latestreleasedversion")
            versions = [v for key, vs in (site.versions.items() if site else ())
                        if not args or key in args for v in vs]
            return [v["id"] for v in versions if v["released"] is released]
        if lowered == "membersof":
            people = site.people() if site else []
            return [p["accountId"] for p in people]
        if lowered in ("standardissuetypes", "subtaskissuetypes"):
            from pmsync.sandbox.site import ISSUE_TYPES

            sub = lowered == "subtaskissuetypes"
            return [n for n, info in ISSUE_TYPES.items() if info["subtask"] is sub]
        if lowered == "currentuser":
            return [self.current_user()]
        raise JqlError(f"Unable to find JQL function '{name}({', '.join(args)})'.")

    def current_user(self) -> str:
        return self.site.account.account_id if self.site else "currentUser"

    def value(self, field: str) -> Any:
        raw = self.take()
        if raw in ("(", ")", ","):
            raise JqlError(f"Error in the JQL Query: Expecting a value for field '{field}'.")
        if self.peek() == "(" and raw[0] not in "\"'":
            return self.scalar_function(raw, field)
        text = _unquote(raw)
        if field in DATE_FIELDS or field == "cf:" + self.start_date_id():
            return self.date_value(field, text)
        if field == "key" and self.keys and re.fullmatch(r"[A-Za-z][\w]*-\d+", text):
            current = self.keys(text.upper())
            if current is None:
                raise JqlError(f"An issue with key '{text}' does not exist for field 'key'.")
            return current
        self.check_value(field, text)
        return text

    def start_date_id(self) -> str:
        return self.site.field_ids["start_date"] if self.site else ""

    def scalar_function(self, name: str, field: str) -> Any:
        lowered = name.lower()
        if lowered == "currentuser":
            self.arguments()
            return self.current_user()
        if lowered in ("opensprints", "closedsprints", "futuresprints", "releasedversions",
                       "unreleasedversions", "membersof", "standardissuetypes",
                       "subtaskissuetypes"):
            return self.list_function(name, field)
        args = self.arguments()
        today = datetime.combine(self.now.date(), time(), self.tz)
        shift = _period(args[0]) if args else timedelta()
        starts = {
            "now": self.now, "startofday": today, "endofday": today + timedelta(days=1),
            "startofweek": today - timedelta(days=(today.weekday() + 1) % 7),
            "endofweek": today + timedelta(days=7 - (today.weekday() + 1) % 7),
            "startofmonth": today.replace(day=1),
            "endofmonth": (today.replace(day=28) + timedelta(days=4)).replace(day=1),
            "startofyear": today.replace(month=1, day=1),
            "endofyear": today.replace(year=today.year + 1, month=1, day=1),
        }
        if lowered not in starts:
            raise JqlError(f"Unable to find JQL function '{name}({', '.join(args)})'.")
        moment = starts[lowered] + shift
        return moment - timedelta(milliseconds=1) if lowered.startswith("end") else moment

    def check_value(self, field: str, text: str) -> None:
        """Jira refuses a value no object of the field has: "The value 'X' does not exist for
        the field 'project'."""
        site = self.site
        if site is None:
            return
        lowered = text.lower()
        known: set[str] | None = None
        if field == "project":
            known = {v.lower() for p in site.projects.values() for v in (p["key"], p["id"], p["name"])}
        elif field == "status":
            from pmsync.sandbox.site import STATUSES

            known = {v.lower() for name, (sid, _) in STATUSES.items() for v in (name, sid)}
        elif field == "issuetype":
            from pmsync.sandbox.site import ISSUE_TYPES

            known = {v.lower() for n, info in ISSUE_TYPES.items() for v in (n, info["id"])}
        elif field == "priority":
            from pmsync.sandbox.jira_meta import PRIORITIES

            known = {v.lower() for p in PRIORITIES for v in p[:2]}
        elif field == "resolution":
            from pmsync.sandbox.jira_meta import RESOLUTIONS

            known = {v.lower() for r in RESOLUTIONS for v in r[:2]} | {UNRESOLVED}
        elif field == "sprint":
            known = {v.lower() for s in site.sprints.values() for v in (str(s["id"]), s["name"])}
        elif field == "fixversion":
            known = {v.lower() for vs in site.versions.values() for x in vs
                     for v in (x["id"], x["name"])}
        elif field == "component":
            from pmsync.sandbox.jira_meta import components

            known = {v.lower() for project in site.projects.values()
                     for c in components(site, project) for v in (c["name"], c["id"])}
        elif field == "statuscategory":
            from pmsync.sandbox.site import STATUS_CATEGORIES

            known = {v.lower() for c in STATUS_CATEGORIES.values()
                     for v in (c["name"], c["key"], str(c["id"]))}
        if known is not None and lowered not in known:
            raise JqlError(f"The value '{text}' does not exist for the field '{field}'.")

    def date_value(self, field: str, text: str) -> datetime:
        if re.fullmatch(r"[-+]?\s*(\d+[wdhm]\s*)+", text):
            return self.now + _period(text)
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

    # history --------------------------------------------------------------------------
    def history_clause(self, raw: str, field: str, op: str) -> Predicate:
        if field not in HISTORY_FIELDS:
            verb = "WAS" if op.startswith("was") else "CHANGED"
            raise JqlError(f"History searches do not support the '{raw}' field. "
                           f"The {verb} operator only supports the fields assignee, fix "
                           "version, priority, reporter, resolution and status.")
        values: list[Any] = []
        if op.startswith("was"):
            values = self.value_list(field) if op.endswith(" in") else [self.value(field)]
        window = self.window(field)
        site = self.site
        if op == "changed":
            return lambda i: _changed(site, i, field, window)
        hit = lambda i: _was(site, i, field, values, window)  # noqa: E731
        return hit if not op.startswith("was not") else (lambda i: not hit(i))

    def window(self, field: str) -> Window:
        start = end = None
        by = old = new = None
        while self.at_word("after", "before", "on", "during", "by", "from", "to"):
            word = self.take().lower()
            if word == "during":
                self.expect("(", "Expecting '(' after DURING.")
                start = self.moment(self.take())
                self.expect(",", "Expecting ',' between the dates of DURING.")
                end = self.moment(self.take())
                self.expect(")", "Expecting ')' after the dates of DURING.")
            elif word == "by":
                who = self.value_list("assignee") if self.peek() == "(" else [self.value("assignee")]
                by = tuple(str(w).lower() for w in who)
            elif word in ("from", "to"):
                found = tuple(str(v).lower() for v in
                              (self.value_list(field) if self.peek() == "(" else [self.value(field)]))
                old, new = (found, new) if word == "from" else (old, found)
            else:
                moment = self.moment(self.take())
                if word == "after":
                    start = moment
                elif word == "before":
                    end = moment
                else:  # ON: that day
                    day = datetime.combine(moment.astimezone(self.tz).date(), time(), self.tz)
                    start, end = day, day + timedelta(days=1)
        return Window(start, end, by, old, new)

    def moment(self, token: str) -> datetime:
        if self.peek() == "(":
            value = self.scalar_function(token, "date")
            if isinstance(value, datetime):
                return value
        return self.date_value("date", _unquote(token))


def _no_field(raw: str) -> str:
    return f"Field '{raw}' does not exist or you do not have permission to view it."


def _period(text: str) -> timedelta:
    text = text.replace(" ", "")
    sign = -1 if text.startswith("-") else 1
    total = timedelta()
    for count, unit in re.findall(r"(\d+)([wdhm])", text):
        total += timedelta(**{{"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[unit]:
                              int(count)})
    return sign * total


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w*]+", text.lower()) if w.strip("*")]


def _contains(site: Any, issue: dict[str, Any], field: str, words: list[str]) -> bool:
    """Jira's text search: every word of the query is a word of the field (``*`` a prefix)."""
    text = _text(site, issue, field)
    found = set(re.findall(r"\w+", text.lower()))
    return all((any(f.startswith(w.rstrip("*")) for f in found) if w.endswith("*") else w in found)
               for w in words)


def _text(site: Any, issue: dict[str, Any], field: str) -> str:
    from pmsync.sandbox.site import adf_text

    f = issue["fields"]
    parts = []
    if field in ("summary", "text"):
        parts.append(f.get("summary") or "")
    if field in ("description", "text"):
        d = f.get("description")
        parts.append(adf_text(d) if isinstance(d, dict) else (d or ""))
    if field in ("comment", "text") and site is not None:
        for c in site.comments.get(issue["key"], []):
            parts.append(adf_text(c["body"]) if isinstance(c["body"], dict) else c["body"])
    if field == "environment":
        parts.append(f.get("environment") or "")
    return "\n".join(parts)


def _any_equal(site: Any, field: str, values: list[Any]) -> Predicate:
    """``field IN values``: one of the field's names (key, id, name) equals one of them.
    Names that are text are looked up lower-cased in a set (what _equal's text case
    does, without a comparison per value); anything else goes through _equal."""
    if not all(isinstance(v, str) for v in values):
        return lambda i: any(_equal(_value(site, i, field), v) for v in values)
    lowered = {v.lower() for v in values}

    def hit(issue: dict[str, Any]) -> bool:
        actual = _value(site, issue, field)
        if type(actual) is not tuple:
            return any(_equal(actual, v) for v in values)
        for name in actual:
            if type(name) is str:
                if name.lower() in lowered:
                    return True
            elif any(_equal(name, v) for v in values):
                return True
        return False

    return hit


def _issues_by_project(site: Any) -> dict[tuple[str, str, str], list[tuple[int, dict[str, Any]]]]:
    """Each project's (key, id, name) as issues carry it -> (place in the site, issue),
    rebuilt only when an issue changed (as the search cache)."""
    cache_key = ("by_project", site.revision, len(site.issues))
    groups = site.search_cache.get(cache_key)
    if groups is None:
        groups = {}
        for position, issue in enumerate(site.issues.values()):
            groups.setdefault(_value(site, issue, "project"), []).append((position, issue))
        site.search_cache[cache_key] = groups
    return groups


def _position(entry: tuple[int, dict[str, Any]]) -> int:
    return entry[0]


def _compare(site: Any, field: str, op: str, value: Any) -> Predicate:
    if field == "key" and op in ORDERING and isinstance(value, str):
        # A key range (`key >= PAY-2601`): the bound's order worked out once, not per issue
        # (an issue's key is always there, so _ordered's other cases never apply).
        bound, test = _key_order(value), ORDERING[op]
        return lambda issue: test(_key_order(issue["key"]), bound)

    def check(issue: dict[str, Any]) -> bool:
        actual = _value(site, issue, field)
        if op == "=":
            return _equal(actual, value)
        if op == "!=":
            return actual not in (None, []) and not _equal(actual, value)
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
    if isinstance(actual, int | float):
        try:
            return actual, float(value)
        except ValueError:
            raise JqlError(f"The value '{value}' is not a number for field '{field}'.") from None
    if field == "key":
        return _key_order(str(actual[0] if isinstance(actual, tuple) else actual)), _key_order(str(value))
    if isinstance(actual, tuple):
        actual = actual[0]
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
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        try:
            return float(actual) == float(value)
        except (TypeError, ValueError):
            return False
    return actual is not None and str(actual).lower() == str(value).lower()


def _person(ref: dict[str, Any] | None) -> tuple[str, ...] | None:
    if not ref:
        return None
    return tuple(v for v in (ref.get("accountId"), ref.get("name"), ref.get("key"),
                             ref.get("displayName"), ref.get("emailAddress")) if v)


def _value(site: Any, issue: dict[str, Any], field: str) -> Any:
    f = issue["fields"]
    if field == "key":
        return (issue["key"], issue["id"])
    if field == "project":
        p = f["project"]
        return (p["key"], p["id"], p["name"])
    if field == "issuetype":
        return (f["issuetype"]["name"], f["issuetype"]["id"])
    if field == "status":
        return (f["status"]["name"], f["status"]["id"])
    if field == "statuscategory":
        cat = f["status"]["statusCategory"]
        return (cat["name"], cat["key"], str(cat["id"]))
    if field == "parent":
        return (f["parent"]["key"], f["parent"]["id"]) if f.get("parent") else None
    if field == "epic link":
        parent = f.get("parent")
        if parent and parent["fields"]["issuetype"]["name"] == "Epic":
            return (parent["key"], parent["id"])
        return None
    if field == "labels":
        return f.get("labels") or None
    if field == "resolution":
        return (f["resolution"]["name"], f["resolution"]["id"]) if f.get("resolution") else None
    if field == "priority":
        return (f["priority"]["name"], f["priority"]["id"]) if f.get("priority") else None
    if field in ("assignee", "reporter", "creator"):
        return _person(f.get(field))
    if field == "fixversion":
        return [(v["name"], v["id"]) for v in f.get("fixVersions") or []] or None
    if field == "component":
        return [(c["name"], c["id"]) for c in f.get("components") or []] or None
    if field == "sprint":
        if site is None:
            return None
        refs = f.get(site.field_ids["sprint"]) or []
        return [(str(s["id"]), s["name"]) for s in refs] or None
    if field == "flagged":
        return [o.get("value") for o in f.get(FLAGGED_ID) or []] or None
    if field == "rank":
        return f.get("customfield_10019") or issue["id"].zfill(10)
    if field in DATE_FIELDS:
        text = f.get(field)
        if not text:
            return None
        return date.fromisoformat(text) if field == "duedate" else datetime.fromisoformat(text)
    if field in TEXT_FIELDS:
        return _text(site, issue, field)
    if field.startswith("cf:"):
        value = f.get(field[3:])
        if site is not None and field[3:] == site.field_ids["start_date"] and value:
            return date.fromisoformat(value)
        if isinstance(value, list):
            return [v.get("value") if isinstance(v, dict) else v for v in value] or None
        return value
    raise JqlError(_no_field(field))


# history: WAS and CHANGED ---------------------------------------------------------------
ITEM_FIELDS = {"status": ("status",), "assignee": ("assignee",), "reporter": ("reporter",),
               "priority": ("priority",), "resolution": ("resolution",),
               "fixversion": ("fix version", "fixversion", "fixversions")}


def _changes(site: Any, issue: dict[str, Any], field: str) -> list[tuple[datetime, dict, dict]]:
    """(when, the item, the history) for every change of ``field``, oldest first."""
    if site is None:
        return []
    names = ITEM_FIELDS[field]
    out = []
    for history in site.histories.get(issue["key"], []):
        for item in history["items"]:
            if (item.get("fieldId") or item.get("field", "")).lower() in names or \
                    item.get("field", "").lower() in names:
                out.append((datetime.fromisoformat(history["created"]), item, history))
    return out


def _shown(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, tuple):
        return tuple(str(v).lower() for v in value)
    if isinstance(value, list):
        return tuple(str(x).lower() for v in value for x in (v if isinstance(v, tuple) else (v,)))
    return (str(value).lower(),)


def _was(site: Any, issue: dict[str, Any], field: str, values: list[Any], window: Window) -> bool:
    """Did the field hold one of ``values`` at some moment of the window?"""
    wanted = {str(v).lower() for v in values}
    changes = _changes(site, issue, field)
    created = datetime.fromisoformat(issue["fields"]["created"])
    far = datetime.max.replace(tzinfo=created.tzinfo)
    periods: list[tuple[datetime, datetime, tuple[str, ...], dict | None]] = []
    if changes:
        first = changes[0][1]
        periods.append((created, changes[0][0], _item_values(first, "from"), None))
        for n, (when, item, history) in enumerate(changes):
            until = changes[n + 1][0] if n + 1 < len(changes) else far
            periods.append((when, until, _item_values(item, "to"), history))
    else:
        periods.append((created, far, _shown(_value(site, issue, field)), None))
    for start, end, held, history in periods:
        if not wanted & set(held):
            continue
        if window.start is not None and end <= window.start:
            continue
        if window.end is not None and start >= window.end:
            continue
        if window.by is not None and (history is None or not wanted_by(history, window.by)):
            continue
        return True
    return False


def _item_values(item: dict[str, Any], side: str) -> tuple[str, ...]:
    text = item.get(side + "String")
    ident = item.get(side)
    return tuple(str(v).lower() for v in (text, ident) if v not in (None, ""))


def wanted_by(history: dict[str, Any], who: tuple[str, ...]) -> bool:
    return bool(set(_shown(_person(history.get("author")))) & set(who))


def _changed(site: Any, issue: dict[str, Any], field: str, window: Window) -> bool:
    for when, item, history in _changes(site, issue, field):
        if window.start is not None and when < window.start:
            continue
        if window.end is not None and when >= window.end:
            continue
        if window.old is not None and not set(window.old) & set(_item_values(item, "from")):
            continue
        if window.new is not None and not set(window.new) & set(_item_values(item, "to")):
            continue
        if window.by is not None and not wanted_by(history, window.by):
            continue
        return True
    return False


# ordering --------------------------------------------------------------------------------
def _key_order(key: str) -> tuple[str, int]:
    project, _, number = key.rpartition("-")
    return (project, int(number)) if number.isdigit() else (key, 0)


def _sort_key(site: Any, issue: dict[str, Any], field: str) -> Any:
    if field == "key":
        return (0, _key_order(issue["key"]))
    if field == "priority":  # Jira orders priorities by their sequence: Highest is "largest"
        priority = issue["fields"].get("priority")
        return (0, -int(priority["id"])) if priority else (1, 0)
    value = _value(site, issue, field)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, tuple):
        value = value[0]
    if value is None or value == "":
        return (1, "")
    if isinstance(value, datetime):
        return (0, value.timestamp())
    if isinstance(value, date):
        return (0, value.isoformat())
    if isinstance(value, int | float):
        return (0, float(value))
    return (0, str(value).lower())

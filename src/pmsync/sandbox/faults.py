"""Injected faults: the failures real trackers and networks produce, on demand.

A fault is written as one string, the same on the command line (``pmsync sandbox
--fault SPEC``), in tests (``Sandbox.start(faults=[SPEC])``, ``sandbox.inject(SPEC)``)
and over HTTP (``POST /_sandbox/faults``)::

    [METHOD:]PATH:KIND[=VALUE][,OPTION=VALUE...]

    POST:/rest/api/3/issue/*/comment:lost=4      the comment is created, its answer
                                                  held 4 s (past a 2 s client timeout)
    GET:/api/v2/list/*/task:status=429,times=3   three 429s in ClickUp's shape
    */rest/api/3/search/jql:malformed            (METHOD may be left out or be *)

PATH is a glob over the request path: ``*`` is one path segment (or part of one),
``**`` any run of characters. Kinds:

    lost=S          handle the request (a write is committed), then hold the answer S s
    slow=S          hold the request S s, then handle it and answer normally
    reset=before    drop the connection (TCP reset) without handling the request
    reset=after     handle the request, then drop the connection instead of answering
    status=CODE     answer CODE (5xx, 429, ...) in the vendor's error shape; nothing runs
    malformed       handle the request, answer its status with half its JSON body
    truncated       handle the request, announce the full body, send half, drop the line

Options: ``times=N`` (how many requests it hits, default 1; ``*`` for every one),
``after=N`` (let N matching requests through first), ``retry-after=S`` (send
Retry-After: S), ``reset-in=S`` (on a 429: the window resets S s from now, given in
the vendor's X-RateLimit-Reset form; ClickUp's is whole Unix seconds, as ClickUp sends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS = ("lost", "slow", "reset", "status", "malformed", "truncated")
HANDLED_FIRST = ("lost", "reset-after", "malformed", "truncated")  # the write is committed
EVERY_TIME = -1


class FaultSpecError(ValueError):
    """A fault string that cannot be read; the message says what to write instead."""


@dataclass
class Fault:
    """One armed fault. ``fired`` counts the requests it hit."""

    path: str
    kind: str = "status"
    method: str | None = None
    status: int = 503
    seconds: float = 0.0  # lost / slow: how long the answer or the request is held
    when: str = "before"  # reset: drop before handling the request or after it
    retry_after: float | None = None
    reset_in: float | None = None
    times: int = 1  # EVERY_TIME: no limit
    after: int = 0
    fired: int = 0
    seen: int = 0
    spec: str = ""
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.kind == "reset" and self.when not in ("before", "after"):
            raise FaultSpecError("reset takes =before or =after (is the write committed?)")
        self.method = None if self.method in (None, "", "*") else self.method.upper()
        self._pattern = glob_pattern(self.path)
        self.spec = self.spec or self.describe()

    @property
    def label(self) -> str:
        """The kind as a figure is counted: reset-before, status-429, lost, ..."""
        if self.kind == "reset":
            return f"reset-{self.when}"
        if self.kind == "status":
            return f"status-{self.status}"
        return self.kind

    @property
    def handled_first(self) -> bool:
        return self.label in HANDLED_FIRST

    def matches(self, method: str, path: str) -> bool:
        return self.method in (None, method) and self._pattern.fullmatch(path) is not None

    def take(self, method: str, path: str) -> bool:
        """Whether this request is hit; counts it. The caller holds the sandbox's lock."""
        if self.times == 0 or not self.matches(method, path):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times > 0:
            self.times -= 1
        self.fired += 1
        return True

    def describe(self) -> str:
        value = {"lost": f"={self.seconds:g}", "slow": f"={self.seconds:g}",
                 "reset": f"={self.when}", "status": f"={self.status}"}.get(self.kind, "")
        options = [f"times={'*' if self.times == EVERY_TIME else self.times}"]
        if self.after:
            options.append(f"after={self.after}")
        if self.retry_after is not None:
            options.append(f"retry-after={self.retry_after:g}")
        if self.reset_in is not None:
            options.append(f"reset-in={self.reset_in:g}")
        return f"{self.method or '*'}:{self.path}:{self.kind}{value},{','.join(options)}"


def glob_pattern(path: str) -> re.Pattern[str]:
    """``*`` within one segment, ``**`` across segments; everything else literal."""
    parts = re.split(r"(\*\*|\*)", path)
    regex = "".join({"**": ".*", "*": "[^/]*"}.get(part, re.escape(part)) for part in parts)
    return re.compile(regex)


def _number(name: str, value: str, spec: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise FaultSpecError(f"{name} needs a number of seconds in {spec!r}, not {value!r}") from None
    if number < 0:
        raise FaultSpecError(f"{name} cannot be negative in {spec!r}")
    return number


def _count(name: str, value: str, spec: str) -> int:
    if name == "times" and value == "*":
        return EVERY_TIME
    if not value.isdigit():
        raise FaultSpecError(f"{name} needs a whole number in {spec!r}, not {value!r}")
    return int(value)


def parse_fault(spec: str) -> Fault:
    """Read ``[METHOD:]PATH:KIND[=VALUE][,OPTION=VALUE...]`` (see the module docstring)."""
    parts = spec.strip().split(":")
    if len(parts) == 2:
        method, path, action = None, parts[0], parts[1]
    elif len(parts) == 3:
        method, path, action = parts
    else:
        raise FaultSpecError(
            f"cannot read fault {spec!r}: write [METHOD:]PATH:KIND[=VALUE][,OPTION=VALUE...], "
            "e.g. POST:/rest/api/3/issue/*/comment:lost=4")
    if method and method != "*" and not method.isalpha():
        raise FaultSpecError(f"{method!r} is not an HTTP method in fault {spec!r}")
    if not path.startswith(("/", "*")):
        raise FaultSpecError(f"the path of fault {spec!r} must start with / (or a * glob)")
    head, *options = [item.strip() for item in action.split(",")]
    kind, _, value = head.partition("=")
    if kind.isdigit():  # a bare status, "503" or "429", is a status fault
        kind, value = "status", kind
    fault: dict[str, object] = {"path": path, "kind": kind, "method": method, "spec": spec}
    if kind in ("lost", "slow"):
        if not value:
            raise FaultSpecError(f"{kind} needs the seconds to hold, e.g. {kind}=4, in {spec!r}")
        fault["seconds"] = _number(kind, value, spec)
    elif kind == "reset":
        if value not in ("before", "after"):
            raise FaultSpecError(
                f"write reset=before (nothing committed) or reset=after (committed) in {spec!r}")
        fault["when"] = value
    elif kind == "status":
        if not (value.isdigit() and 400 <= int(value) <= 599):
            raise FaultSpecError(f"status needs an HTTP error status 400-599 in {spec!r}")
        fault["status"] = int(value)
    elif kind in ("malformed", "truncated"):
        if value:
            raise FaultSpecError(f"{kind} takes no value in {spec!r}")
    else:
        raise FaultSpecError(f"unknown fault kind {kind!r} in {spec!r}; use one of {', '.join(KINDS)}")
    names = {"times": "times", "after": "after", "retry-after": "retry_after",
             "reset-in": "reset_in"}
    for option in options:
        name, _, value = option.partition("=")
        if name not in names or not value:
            raise FaultSpecError(
                f"unknown fault option {option!r} in {spec!r}; use times=N, after=N, "
                "retry-after=S or reset-in=S")
        if name in ("times", "after"):
            fault[names[name]] = _count(name, value, spec)
        else:
            fault[names[name]] = _number(name, value, spec)
    return Fault(**fault)  # type: ignore[arg-type]


def as_fault(fault: Fault | str) -> Fault:
    return fault if isinstance(fault, Fault) else parse_fault(fault)

"""`pmsync doctor`: check a setup before the first run, and say what a run would do.

The config is loaded and validated; the folders a run writes (state, reports) and the
store are looked at, as this user; each tracker's connector checks its credentials
and what the account may do (its ``doctor()`` returns a TrackerDoctor; a connector
without one gets the credentials check alone); each product line says how many items
it selects (from the store once synced, else counted on the tracker). Nothing is
written anywhere. Every check prints as it finishes; the exit code is the first
failure's.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pmsync.errors import EXIT_OK, EXIT_STATE, EXIT_TRACKER, EXIT_USAGE, ConfigError, PmsyncError
from pmsync.model import Selector

Status = Literal["ok", "warn", "fail"]
MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


@dataclass(frozen=True)
class Check:
    area: str  # "config", a tracker's name, "lines", "run"
    status: Status
    text: str  # one line: what was found, and for a failure what to do
    exit_code: int = EXIT_TRACKER  # what a failure makes the command exit with


class TrackerDoctor(Protocol):
    """What a connector's ``doctor()`` returns."""

    def checks(self) -> Iterator[Check]:
        """Credentials, permissions, discovered fields: one Check each."""

    def count(self, selector: Selector) -> int | None:
        """Items the selector matches on the tracker now (None: cannot tell cheaply)."""

    def page_target(self) -> str:
        """Where its pages go, as a person would look for them."""


def auth_only(name: str, connector: Any) -> Iterator[Check]:
    """For connectors without diagnose(): who we are, and nothing more."""
    try:
        yield Check(name, "ok", f"credentials: signed in as {connector.check_auth()}")
    except PmsyncError as exc:
        yield Check(name, "fail", str(exc), exc.exit_code)


def run_doctor(config_path: Path, say: Callable[[str], None] = print) -> int:
    from pmsync.workspace import Workspace

    worst = EXIT_OK

    def emit(check: Check) -> None:
        nonlocal worst
        say(f"{MARKS[check.status]}  {check.area:<10} {check.text}")
        if check.status == "fail" and worst == EXIT_OK:
            worst = check.exit_code

    try:
        ws = Workspace.open(config_path)
    except ConfigError as exc:
        emit(Check("config", "fail", str(exc), exc.exit_code))
        return worst
    try:
        config = ws.config
        emit(Check("config", "ok", f"{config.path}: {len(config.trackers)} tracker(s) "
                   f"({', '.join(config.trackers)}), {len(config.product_lines)} product "
                   f"line(s), state in {config.state_dir}"))
        state = list(state_checks(config))
        for check in state:
            emit(check)
        synced: frozenset[str] = frozenset()
        if all(check.status == "ok" for check in state):
            try:
                synced = ws.synced_trackers()
            except PmsyncError as exc:  # the store cannot be read: one FAIL line, go on
                emit(Check("state", "fail", str(exc), exc.exit_code))
        doctors: dict[str, TrackerDoctor | None] = {}
        usable: dict[str, TrackerDoctor] = {}
        for name in config.trackers:
            try:
                connector = ws.connector(name)  # reads the token's env var
            except PmsyncError as exc:
                emit(Check(name, "fail", str(exc), exc.exit_code))
                continue
            doctor = connector.doctor() if hasattr(connector, "doctor") else None
            doctors[name] = doctor
            signed_in = None  # the first check is the credentials'
            for check in doctor.checks() if doctor else auth_only(name, connector):
                emit(check)
                signed_in = check.status != "fail" if signed_in is None else signed_in
            if doctor is not None and signed_in:
                usable[name] = doctor
        for check in line_checks(ws, usable, synced):
            emit(check)
        for line in run_plan(ws, doctors, synced):
            say(f"run   {line}")
    finally:
        ws.close()
    say("pmsync doctor: all good" if worst == EXIT_OK
        else f"pmsync doctor: fix the FAIL lines above (exit {worst})")
    return worst


def state_checks(config: Any) -> Iterator[Check]:
    """The folders a run writes (state, reports) and the SQLite store: usable as they are,
    or creatable, by this user. Looked at, never made."""
    folders = [] if config.store_url else [("state_dir", config.state_dir)]
    folders.append(("reports.html_dir", config.html_dir))
    failed = False
    for key, folder in folders:
        problem = _unwritable(folder)
        if problem:
            failed = True
            yield Check("state", "fail", f"{folder}: {problem}; point {key} at a folder the "
                        "user running pmsync can write", EXIT_STATE)
            break  # the reports folder is usually inside the state folder: one cause, one line
    store = None if config.store_url else config.store_path
    if store is not None and store.exists() and not os.access(store, os.R_OK | os.W_OK):
        failed = True
        yield Check("state", "fail", f"{store}: the store is read-only for this user; make it "
                    "and its folder writable for the user running pmsync (chown/chmod u+w)",
                    EXIT_STATE)
    if not failed:
        yield Check("state", "ok", f"{config.html_dir if config.store_url else config.state_dir}"
                    ": a folder this user can write" + ("" if config.store_url else
                                                       " (store, lock, reports)"))


def _unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot be written or made, or None."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    # "is a file ..." for the folder itself; "cannot be made: /x is a file ..." for a parent
    subject = "" if existing == folder else f"cannot be made: {existing} "
    if not existing.is_dir():
        return f"{subject}is a file where pmsync needs a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{subject}is not writable for this user"
    return None


def line_checks(ws: Any, usable: dict[str, TrackerDoctor], synced: set[str]
                ) -> Iterator[Check]:
    """Items per product line: counted in the store once synced, else asked of the tracker."""
    config = ws.config
    if not config.product_lines:
        yield Check("lines", "fail", f"{config.path}: no [[product_lines]]: add one per line "
                    "(see `pmsync init`)", EXIT_USAGE)
        return
    per_line: Counter[str | None] = Counter()
    if synced:
        per_line = Counter(item.product_line for item in ws.portfolio().items.values())
    for line in config.product_lines:
        trackers = {s.tracker for s in line.selectors}
        if trackers and trackers <= synced:
            count, how = per_line.get(line.name, 0), "in the store (last sync)"
        else:
            counts = [usable[s.tracker].count(s) if s.tracker in usable else None
                      for s in line.selectors]
            if any(c is None for c in counts):
                yield Check("lines", "warn", f"{line.name}: cannot count before the first sync "
                            "(`pmsync sync` will)")
                continue
            count, how = sum(c for c in counts if c is not None), "on the tracker now"
        if count == 0:
            yield Check("lines", "fail", f"{line.name}: selects no items {how}: check its "
                        "select = [...] facets (project, component, label, space, ...)",
                        EXIT_USAGE)
        else:
            yield Check("lines", "ok", f"{line.name}: {count} items {how}")


def run_plan(ws: Any, doctors: dict[str, TrackerDoctor | None], synced: frozenset[str]) -> list[str]:
    """What `pmsync run` would do with this config, in the order it does it."""
    config = ws.config
    plan = [f"sync {name}: " + ("incremental, from where the last sync stopped" if name in synced
                                else "first sync: everything")
            for name in config.trackers]
    disabled = sorted(rule for rule, settings in config.rules.items() if not settings.enabled)
    rules = len(ws.registry.rules) - len(disabled)
    plan.append(f"check {rules} rules" + (f" ({', '.join(disabled)} off)" if disabled else "")
                + (f" against baseline {config.baseline!r}" if config.baseline
                   else f" against the state {config.baseline_days} days ago"))
    for line in config.product_lines:
        mode = "one digest comment per epic" if line.alerts == "digest" else "a comment per finding"
        plan.append(f"alert {line.name}: {mode} on the epics concerned")
    for line in config.product_lines:
        home = [line.selectors[0].tracker] if line.selectors else []  # as reports.py decides
        plan.append(f"report sprint review of {line.name} → {_targets(home, doctors)}")
    plan.append(f"report portfolio roadmap → {_targets(sorted(config.trackers), doctors)}")
    plan.append(f"html copies in {config.html_dir}")
    return plan


def _targets(trackers: list[str], doctors: dict[str, TrackerDoctor | None]) -> str:
    return ", ".join(f"{name}: {doctor.page_target()}" if (doctor := doctors.get(name))
                     else f"{name}'s pages" for name in trackers) or "local HTML only"

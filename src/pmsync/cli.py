"""The command line: thin; the work lives in the step modules."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path

from pmsync import __version__
from pmsync.errors import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_STATE,
    EXIT_TERMINATED,
    ConfigError,
    OutputClosed,
    PmsyncError,
    StateError,
    Terminated,
)
from pmsync.logs import mask, setup_logging
from pmsync.model import SEVERITIES

log = logging.getLogger("pmsync")


def _whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` (to ``high``), said in one line."""
    span = f"from {low} to {high}" if high is not None else f"of at least {low}"

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, not {text!r}")
        return number

    return parse


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0 <= number < 3600:
        raise argparse.ArgumentTypeError(f"must be seconds from 0 up to 3600, not {text!r}")
    return number


def _text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


PORT = _whole(0, 65535)
MAX_SLIP_DAYS = 36500
COUNT = _whole(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmsync",
        description="Keep a multi-product roadmap honest: sync trackers, flag drift and "
        "dependency conflicts, comment on epics, publish sprint reviews.",
    )
    parser.add_argument("--version", action="version", version=f"pmsync {__version__}")
    parser.add_argument("--config", type=Path,
                        default=Path(os.environ.get("PMSYNC_CONFIG", "pmsync.toml")),
                        help="config file (default: $PMSYNC_CONFIG or ./pmsync.toml)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("init", help="set up a config: questions on a terminal, else the "
                                    "commented sample")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--sample", action="store_true",
                   help="write the commented sample even on a terminal")
    p.add_argument("--store", metavar="URL",
                   help="keep the store in PostgreSQL at this postgresql:// URL (no password "
                        "in it) instead of SQLite in state_dir")
    p.add_argument("--store-password-env", metavar="NAME",
                   help="with --store: the environment variable that will hold the "
                        "database password (default PMSYNC_STORE_PASSWORD)")

    p = sub.add_parser("sync", help="pull what changed from every tracker into the store")
    p.add_argument("--tracker", action="append", metavar="NAME", type=_text,
                   help="sync only this tracker (repeatable); with a PostgreSQL store, jobs "
                        "syncing different trackers run at the same time")

    p = sub.add_parser("check", help="run the rules and print the findings")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 if a finding is this severe")
    p.add_argument("--baseline", metavar="NAME", type=_text,
                   help="compare against this saved baseline")
    p.add_argument("--suppressed", action="store_true", help="show only suppressed findings")
    p.add_argument("--explain", metavar="FINGERPRINT", type=_text,
                   help="show the evidence behind a finding")

    p = sub.add_parser("baseline", help="save or list named baselines")
    p.add_argument("action", choices=["save", "list"])
    p.add_argument("name", nargs="?", type=_text, help="the baseline's name (for save)")

    p = sub.add_parser("alert", help="post, edit and resolve the alert comments on epics")
    p.add_argument("--dry-run", action="store_true", help="print what would change; touch nothing")

    p = sub.add_parser("report", help="render and publish the sprint-review reports")
    p.add_argument("--dry-run", action="store_true", help="render but publish nothing")

    p = sub.add_parser("run", help="sync, check, alert and report: what cron runs")
    p.add_argument("--dry-run", action="store_true",
                   help="sync into the store, but post and publish nothing")
    p.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 if a finding is this severe")
    p.add_argument("--no-sync", action="store_true",
                   help="check, alert and publish from what is stored (the trackers are "
                        "synced by separate `pmsync sync --tracker` jobs)")

    p = sub.add_parser("store", help="copy the store into a PostgreSQL database (cursors "
                       "and ledgers included: no resync, no duplicate comment)")
    p.add_argument("action", choices=["copy"])
    p.add_argument("--to", required=True, metavar="URL",
                   help="the target, an empty database: postgresql://user@host/db")
    p.add_argument("--password-env", metavar="VAR",
                   help="the environment variable holding the target's password")

    p = sub.add_parser("runs", help="list recent runs: outcome, counts, duration, exit code")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--limit", type=_whole(1), default=20, help="how many runs, newest first")
    p = sub.add_parser("impact", help="what if KEY finishes later: what its delay breaks "
                       "downstream (writes nothing)")
    p.add_argument("key", metavar="KEY", type=_text, help="an item, as the tracker shows it: PAY-20 or "
                   "jira:PAY-20")
    p.add_argument("--slip", type=int, metavar="DAYS",
                   help="days later than it can finish now (default: as it stands)")
    p.add_argument("--format", choices=["table", "json"], default="table")

    p = sub.add_parser("plugins", help="list the loaded plugins")
    p.add_argument("--format", choices=["table", "json"], default="table")

    sub.add_parser("doctor", help="check the config, credentials and permissions; "
                                  "say what a run would do")

    p = sub.add_parser("sandbox", help="serve the simulated Jira/Confluence on 127.0.0.1")
    p.add_argument("--port", type=PORT, default=8765, help="0: any free port")
    p.add_argument("--size", type=COUNT, default=60, help="number of issues to generate")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--latency", type=_seconds, default=0.0, help="seconds added to every answer")
    p.add_argument("--deployment", choices=["cloud", "datacenter"], default="cloud")
    p.add_argument("--time-zone", default="America/New_York",
                   help="the site user's IANA time zone (/myself timeZone; seeded dates)")
    p.add_argument("--tls", action="store_true",
                   help="serve https with a self-signed certificate made at start (path printed)")
    p.add_argument("--clickup-size", type=COUNT, default=40, help="ClickUp tasks (0: no ClickUp)")
    p.add_argument("--clickup-lists", type=_whole(1), default=7)
    p.add_argument("--clickup-rate", metavar="N/SECONDS",
                   help="ClickUp's per-token limit, e.g. 100/60 (a shorter window keeps tests short)")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help="inject a fault, e.g. POST:/rest/api/3/issue/*/comment:lost=4 "
                        "(repeatable; see README, 'Faults')")

    p = sub.add_parser("demo", help="run the whole cycle once against the sandbox")
    p.add_argument("--serve", action="store_true", help="keep the sandbox up afterwards")
    p.add_argument("--size", type=COUNT, default=60)
    p.add_argument("--port", type=PORT, default=0, help="sandbox port (default: any free one)")
    p.add_argument("--dir", type=Path, help="where the demo's config and state go")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        with sigterm_as_exception():
            code = COMMANDS[args.command](args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return code
    except (OutputClosed, BrokenPipeError):
        return output_closed()
    except PmsyncError as exc:
        print(f"pmsync: error: {mask(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except (KeyboardInterrupt, Terminated) as exc:
        what = "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt) else "terminated"
        print(f"pmsync: {what}; every finished write is recorded, the unfinished one was "
              "rolled back; the next run carries on", file=sys.stderr)
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_TERMINATED
    except sqlite3.Error as exc:  # a store opened outside a recorded run (e.g. doctor)
        print(f"pmsync: error: the store in state_dir failed ({exc}); if it is damaged, move "
              "it aside: the next run rebuilds it from the trackers and adopts its comments "
              "and pages", file=sys.stderr)
        return EXIT_STATE
    except Exception as exc:
        if args.verbose:
            raise
        print(f"pmsync: error: internal error ({type(exc).__name__}: {mask(str(exc))}); "
              "rerun with -v for the traceback and report it", file=sys.stderr)
        return EXIT_FAILED


def output_closed() -> int:
    """The reader of stdout went away (`pmsync check | head`): stop quietly, as `yes | head`
    does, with the shell's code for SIGPIPE; nothing more can be printed to it."""
    with suppress(OSError, ValueError):  # no real stdout (tests): nothing left to silence
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_PIPE


@contextmanager
def sigterm_as_exception() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C does: transactions roll back, the run is recorded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _workspace(args):
    from pmsync.workspace import Workspace

    return Workspace.open(args.config)


def _recorded(step: Callable, locked: bool = True, shows_progress: bool = False) -> Callable:
    """Run ``step(ws, args, run)`` inside one recorded run (and the run lock, if ``locked``);
    with ``shows_progress``, bars on a terminal (pmsync.progress).

    Failures a step carried on past (``run.fail``) are listed, and the exit code is the
    first one's."""

    def command(args) -> int:
        from pmsync.lock import step_locks
        from pmsync.progress import on_terminal

        ws = _workspace(args)
        try:
            # With PostgreSQL a lock covers one step, not every locked command: a run
            # recorded 'running' may be another step's, alive on this host.
            whole = locked and not ws.config.store_url
            with step_locks(ws, lock_names(ws, args)) if locked else nullcontext(), \
                    ws.store.run(args.command, holds_lock=whole) as run:
                try:
                    with on_terminal() if shows_progress else nullcontext():
                        code = step(ws, args, run)
                        sys.stdout.flush()
                except BrokenPipeError:  # recorded as such, not as a bug (exit 70)
                    raise OutputClosed("stdout was closed before pmsync finished printing "
                                       "(broken pipe); the step itself completed") from None
                finally:  # what was carried past is listed even if a later step stopped it
                    for failure in run.failures:
                        print(f"pmsync: error: {failure}", file=sys.stderr)
                run.exit_code = run.failure_code or code
                return run.exit_code
        finally:
            ws.close()

    return command


def lock_names(ws, args) -> list[str]:
    """The locks a command takes (pmsync.lock.step_locks): a sync's, per tracker it syncs;
    the publish lock for the steps that write to the trackers."""
    from pmsync.lock import PUBLISH, sync_lock

    syncs = [sync_lock(name) for name in synced_trackers(ws, args)]
    if args.command == "sync":
        return syncs
    return [PUBLISH] + ([] if getattr(args, "no_sync", False) else syncs)


def synced_trackers(ws, args) -> list[str]:
    if args.command == "run" and args.no_sync:
        return []
    chosen = getattr(args, "tracker", None) or list(ws.config.trackers)
    unknown = [name for name in chosen if name not in ws.config.trackers]
    if unknown:
        raise ConfigError(f"--tracker {unknown[0]}: no such tracker in {ws.config.path} "
                          f"(it has {', '.join(ws.config.trackers) or 'none'})")
    return chosen


def cmd_init(args) -> int:
    from pmsync.config import SAMPLE_CONFIG
    from pmsync.init_wizard import STORE_PASSWORD_ENV, Store

    if args.config.exists() and not args.force:
        raise ConfigError(f"{args.config} already exists; pass --force to overwrite it")
    if args.store_password_env and not args.store:
        raise ConfigError("--store-password-env goes with --store: pass the PostgreSQL URL "
                          "too, e.g. --store postgresql://pmsync@db.example.com/pmsync")
    store = (Store(args.store, args.store_password_env or STORE_PASSWORD_ENV)
             if args.store else None)
    if sys.stdin.isatty() and sys.stdout.isatty() and not args.sample:
        from pmsync.init_wizard import interactive_init

        interactive_init(args.config, store=store)
        return EXIT_OK
    from pmsync.init_wizard import next_steps, store_config, write_config

    text = store_config(args.config, SAMPLE_CONFIG, store) if store else SAMPLE_CONFIG
    write_config(args.config, text)
    print(f"wrote {args.config}; edit it, then:\n" + next_steps(args.config, text))
    return EXIT_OK


def _sync(ws, args, run) -> int:
    from pmsync.sync import sync_all, sync_counts  # not via cycle: its check and alert steps

    names = synced_trackers(ws, args)
    results = sync_all(ws.store, {name: ws.connector(name) for name in names}, run)
    run.add(sync_counts(results))
    for result in results:
        print(f"{result.tracker}: {result.fetched} items fetched, {result.changed} records changed")
    return EXIT_OK


def _check(ws, args, run) -> int:
    from pmsync.check import explain, findings_json, findings_table, run_check

    # An empty store (a mistyped state_dir, a container without its volume) has no findings:
    # `check --fail-on critical` must not stay green on it.
    synced = ws.synced_trackers()
    if not synced:
        raise StateError(f"{ws.config.store_location}: nothing was ever synced into this store, "
                         "so there is nothing to check; run `pmsync sync` first, or point "
                         "state_dir (or store) at the store your syncs write")
    for name in sorted(set(ws.config.trackers) - synced):
        log.warning("%s: nothing was ever synced from it into %s, so check sees none of its "
                    "items; run `pmsync sync`", name, ws.config.store_location)
    portfolio, findings = run_check(ws, args.baseline, with_suppressed=args.suppressed)
    run.count("findings", len(findings))
    if args.explain:
        if args.suppressed:  # explain looks among all findings
            findings += run_check(ws, args.baseline)[1]
        match = [f for f in findings if f.fingerprint.startswith(args.explain)]
        if len(match) != 1:
            raise ConfigError(f"--explain {args.explain}: {len(match)} findings match; give "
                              "a fingerprint from `pmsync check --format json`")
        print(explain(portfolio, match[0]))
        return EXIT_OK
    print(findings_json(findings, portfolio, ws) if args.format == "json"
          else findings_table(findings, portfolio))
    return _fail_on(findings, args.fail_on)


def cmd_baseline(args) -> int:
    if args.action == "save":
        return _recorded(_baseline_save, locked=False)(args)
    if args.name:
        raise ConfigError(f"baseline list takes no NAME (got {args.name!r}); to save one: "
                          f"`pmsync baseline save {args.name}`")
    ws = _workspace(args)
    try:
        with ws.store.errors_explained():
            rows = ws.store.baselines()
        for row in rows:
            print(f"{row['name']:<24} run {row['run_id']:<6} state of {row['run_started']}")
        if not rows:
            print("No baselines saved; `pmsync baseline save NAME` freezes the current state.")
        return EXIT_OK
    finally:
        ws.close()


def _baseline_save(ws, args, run) -> int:
    if not args.name:
        raise ConfigError("baseline save needs a NAME, e.g. `pmsync baseline save q3-plan`")
    latest = ws.store.latest_run()
    if latest is None:
        raise ConfigError("nothing synced yet: run `pmsync sync` before saving a baseline")
    ws.store.save_baseline(args.name, latest[0])
    print(f"saved baseline {args.name!r}: the state after run {latest[0]} ({latest[1]})")
    return EXIT_OK


def cmd_store(args) -> int:
    from pmsync.config import _store_url
    from pmsync.lock import PUBLISH, step_locks, sync_lock
    from pmsync.store import Store, copy_store

    url = _store_url(args.to, "--to")
    password = None
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise ConfigError(f"--password-env: environment variable {args.password_env} is "
                              f"not set; export {args.password_env}=<the database password>")
        from pmsync.logs import register_secret

        register_secret(password)
    ws = _workspace(args)
    try:  # no run may write the source while it is copied
        names = [PUBLISH, *(sync_lock(name) for name in ws.config.trackers)]
        with step_locks(ws, names):
            target = Store(url, password)
            try:
                with ws.store.errors_explained(), target.errors_explained():
                    copied = copy_store(ws.store, target)
            finally:
                target.close()
    finally:
        ws.close()
    print(", ".join(f"{table} {n}" for table, n in copied.items()))
    print(f"copied into {target.path}; set store = \"{url}\" in the config to use it")
    return EXIT_OK


def cmd_runs(args) -> int:
    from pmsync.runs import runs_json, runs_table

    ws = _workspace(args)
    try:
        if not ws.config.store_exists():
            records = []
        else:
            with ws.store.errors_explained():
                ws.store.reap_crashed()
                records = ws.store.runs(limit=args.limit)
    finally:
        ws.close()
    print(runs_json(records) if args.format == "json" else runs_table(records))
    return EXIT_OK


def _fail_on(findings, severity: str | None) -> int:
    from pmsync.check import at_or_above

    return EXIT_FINDINGS if severity and at_or_above(findings, severity) else EXIT_OK


def _alert(ws, args, run) -> int:
    from pmsync.alerts import sync_alerts
    from pmsync.check import run_check, suppressed
    from pmsync.cycle import alert_counts, never_synced
    from pmsync.reports import published_links

    portfolio, findings = run_check(ws)
    run.count("findings", len(findings))
    plan = sync_alerts(ws, findings, portfolio, dry_run=args.dry_run,
                       suppressed=frozenset(suppressed(ws)), links=published_links(ws),
                       skip_trackers=never_synced(ws))
    run.add(alert_counts(plan, args.dry_run))
    verb = "would be" if args.dry_run else "were"
    for action in ("created", "edited", "resolved", "unchanged", "skipped"):
        shown = DRY_RUN_VERBS.get(action, action) if args.dry_run else action
        for label in getattr(plan, action):
            print(f"{shown:14} {label}")
    print(f"{len(plan.created)} comments {verb} created, {len(plan.edited)} edited, "
          f"{len(plan.resolved)} resolved")
    return EXIT_OK


DRY_RUN_VERBS = {"created": "would create", "edited": "would edit", "resolved": "would resolve"}


def _report(ws, args, run) -> int:
    from pmsync.check import run_check
    from pmsync.cycle import never_synced, report_counts
    from pmsync.reports import publish_reports

    portfolio, findings = run_check(ws)
    run.count("findings", len(findings))
    results = publish_reports(ws, findings, portfolio, dry_run=args.dry_run,
                              skip_trackers=never_synced(ws))
    run.add(report_counts(results))
    for result in results:
        if result.failure is not None:
            run.fail(result.failure)
        where = result.page_url or "no page"
        action = result.page_action.replace("would-publish", "would publish")
        print(f"{result.line}: page {action} {where}; html {result.html_path or '-'}")
    return EXIT_OK


def _run(ws, args, run) -> int:
    from pmsync.cycle import run_cycle

    result = run_cycle(ws, run, dry_run=args.dry_run, sync=not args.no_sync)
    print(result.summary())
    return _fail_on(result.findings, args.fail_on)


def _impact(ws, args, run) -> int:
    from pmsync.impact import impact_json, impact_tree, run_impact

    if args.slip is not None and args.slip > MAX_SLIP_DAYS:  # dates past year 9999 break
        raise ConfigError(f"--slip must be at most {MAX_SLIP_DAYS} days (100 years), not "
                          f"{args.slip}")
    result = run_impact(ws, args.key, args.slip)
    print(impact_json(result) if args.format == "json" else impact_tree(result))
    return EXIT_OK


def cmd_plugins(args) -> int:
    from pmsync.plugins import describe_plugins, make_plugin_manager

    rows = describe_plugins(make_plugin_manager())
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<22} {row['version']:<8} {', '.join(row['hooks'])}")
    return EXIT_OK


def cmd_doctor(args) -> int:
    from pmsync.doctor import run_doctor

    return run_doctor(args.config)


def cmd_sandbox(args) -> int:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from pmsync.sandbox import Sandbox

    deployment = "Cloud" if args.deployment == "cloud" else "Server"
    try:
        ZoneInfo(args.time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(f"--time-zone {args.time_zone!r} is not an IANA time zone; "
                          "try e.g. Pacific/Auckland or Europe/Berlin") from None
    try:
        with port_explained(args.port):
            sandbox = Sandbox.start(seed=args.seed, size=args.size, port=args.port,
                                    latency=args.latency, deployment=deployment,
                                    time_zone=args.time_zone, tls=args.tls,
                                    clickup_size=args.clickup_size,
                                    clickup_lists=args.clickup_lists,
                                    clickup_rate=args.clickup_rate, faults=args.fault)
    except ValueError as exc:  # a bad --fault or --clickup-rate, said in one line
        raise ConfigError(str(exc)) from None
    print(f"{sandbox.describe()}\nCtrl-C to stop", flush=True)
    sandbox.serve_until_interrupted()
    return EXIT_OK


@contextmanager
def port_explained(port: int) -> Iterator[None]:
    """The sandbox could not listen on ``port``: taken, or below 1024 without root."""
    try:
        yield
    except OSError as exc:
        # A socket's error names no file; a file's (the demo's store, say) does.
        if exc.filename is None and exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise ConfigError(f"--port {port}: cannot listen there ({exc.strerror}); pick "
                              "another port, or --port 0 for any free one") from None
        raise


def cmd_demo(args) -> int:
    from pmsync.demo import run_demo

    if args.dir is not None:
        try:
            args.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            what = ("is a file, not a folder" if args.dir.exists() and not args.dir.is_dir()
                    else f"cannot be made ({exc.strerror})")
            raise ConfigError(f"--dir {args.dir}: {what}; pass --dir a folder you can write, "
                              "or leave it out for a temporary one") from None
    with port_explained(args.port):
        return run_demo(size=args.size, port=args.port, folder=args.dir, serve=args.serve)


COMMANDS: dict[str, Callable] = {
    "init": cmd_init,
    "sync": _recorded(_sync, shows_progress=True),
    "check": _recorded(_check, locked=False),
    "baseline": cmd_baseline,
    "alert": _recorded(_alert),
    "report": _recorded(_report, shows_progress=True),
    "run": _recorded(_run, shows_progress=True),
    "runs": cmd_runs,
    "store": cmd_store,
    "impact": _recorded(_impact, locked=False),
    "plugins": cmd_plugins,
    "doctor": cmd_doctor,
    "sandbox": cmd_sandbox,
    "demo": cmd_demo,
}

if __name__ == "__main__":
    sys.exit(main())

"""`check --format json` prints exactly what json.dumps(indent=2) would (its public shape),
written faster: every kind of value a finding record holds, tracker text included."""

from __future__ import annotations

import json

from pmsync.check import findings_json, indented_json
from pmsync.model import Finding


def test_indented_json_is_json_dumps_with_indent_2():
    records = [
        {"rule": "r", "related": [], "url": None, "n": 3, "x": 1.5, "ok": True},
        {"rule": 'quote " back\\slash \n newline \u00e9 \u2603 \U0001f600 <tag>',
         "related": ["a", 'b"c', "\u00e9"], "url": "https://x/browse/PAY-1?a=1&b=2"},
        {},
    ]
    assert indented_json(records) == json.dumps(records, indent=2)
    assert indented_json([]) == json.dumps([], indent=2)


def test_findings_json_keeps_its_shape():
    findings = [Finding("epic-overdue", "warning", "j:PAY-1", None, "Epic \"PAY-1\" was due"),
                Finding("dependency-cycle", "critical", "j:PAY-2", "Payments", "cycle",
                        related_keys=("j:PAY-3", "j:MOB-1"))]
    printed = findings_json(findings)
    assert json.loads(printed)[1]["related"] == ["j:PAY-3", "j:MOB-1"]
    assert printed == json.dumps(json.loads(printed), indent=2)


def test_printing_findings_leaves_the_collector_as_it_found_it():
    # The output is built with the cyclic GC paused (it would walk the whole portfolio
    # over and over at scale); an in-process caller must get its collector back.
    import gc

    from pmsync.check import findings_table

    findings = [Finding("epic-overdue", "warning", "j:PAY-1", None, "late")]
    assert gc.isenabled()
    findings_json(findings)
    findings_table(findings)
    assert gc.isenabled()
    gc.disable()
    try:
        findings_json(findings)
        findings_table(findings)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_process_that_checks_skips_the_last_collection_but_not_its_atexit_work(tmp_path):
    # Importing pmsync.check freezes the heap at exit, so the interpreter's last full
    # collection does not walk a million-item portfolio; atexit handlers registered
    # before it (logging's, a caller's own) still run, after the freeze.
    import subprocess
    import sys

    script = ("import atexit, gc, sys\n"
              "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
              "import pmsync.check\n"
              "print('before exit:', gc.get_freeze_count())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    assert done.stdout.splitlines() == ["before exit: 0", "frozen at exit: True"]

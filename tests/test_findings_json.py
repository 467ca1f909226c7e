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

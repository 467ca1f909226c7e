"""Checks against the vendors' published OpenAPI documents in ../shared/specs."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs"
# Confluence's document lists paths relative to /wiki/api/v2.
PREFIXES = {"confluence-v2.trimmed.json": "/wiki/api/v2"}
SPEC_FILES = ["jira-platform-v3.trimmed.json", "jira-software-agile-1.0.trimmed.json",
              "confluence-v2.trimmed.json"]


def require_specs() -> None:
    if not SPECS.is_dir():
        pytest.skip(f"vendor specs not found at {SPECS} (shared/ sits beside the repo)")


@cache
def operations() -> list[tuple[str, re.Pattern[str], dict[str, Any], dict[str, Any]]]:
    ops = []
    for name in SPEC_FILES:
        doc = json.loads((SPECS / name).read_text())
        prefix = PREFIXES.get(name, "")
        for path, item in doc["paths"].items():
            pattern = re.compile("^" + prefix + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
            for method, op in item.items():
                if method in ("get", "post", "put", "delete"):
                    ops.append((method.upper(), pattern, op, doc))
    return ops


def find_operation(method: str, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    # Atlassian documents platform v2 and v3 as the same operations (v3 adds ADF bodies);
    # only the v3 document is in shared/specs, so v2 paths are checked against it.
    path = path.replace("/rest/api/2/", "/rest/api/3/", 1)
    for op_method, pattern, op, doc in operations():
        if op_method == method and pattern.match(path):
            return op, doc
    raise AssertionError(f"{method} {path} is not an operation of the vendor specs")


def resolve(node: Any, doc: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline $refs; a schema that refers to itself accepts anything at the cut."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            if ref in seen:
                return {}
            target = doc
            for part in ref.lstrip("#/").split("/"):
                target = target[part]
            return resolve(target, doc, (*seen, ref))
        return {k: resolve(v, doc, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, doc, seen) for v in node]
    return node


def check_response(method: str, path: str, status: int, body: Any) -> None:
    op, doc = find_operation(method, path)
    responses = op.get("responses", {})
    spec = responses.get(str(status)) or responses.get("default")
    assert spec is not None, f"{method} {path}: status {status} is not documented"
    schema = (spec.get("content", {}).get("application/json", {}) or {}).get("schema")
    if schema is not None:
        OAS30Validator(resolve(schema, doc)).validate(body)


def check_request(method: str, path: str, query_names: tuple[str, ...]) -> None:
    op, _ = find_operation(method, path)
    declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
    unknown = set(query_names) - declared
    assert not unknown, f"{method} {path}: query parameters {unknown} are not in the spec"

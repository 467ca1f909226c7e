"""The read model for BI tools: SQL views over the store, the same on SQLite and PostgreSQL.

The tables keep each record as JSON (their shape follows the model); these views give
a BI tool (Grafana, Metabase, Superset) plain columns instead. One declaration here;
the two dialects differ only in how a JSON field is read and how an array is unnested.
Product lines are config, not data: ``pm_item_facets`` exposes the facets a line's
``select`` matches on (README, "Read model").
"""

from __future__ import annotations

Dialect = str  # "sqlite" or "postgresql"


def _text(dialect: Dialect, field: str, col: str = "data") -> str:
    if dialect == "sqlite":
        return f"json_extract({col}, '$.{field}')"
    return f"(({col})::jsonb ->> '{field}')"


def _number(dialect: Dialect, field: str, col: str = "data") -> str:
    return f"CAST({_text(dialect, field, col)} AS DOUBLE PRECISION)"


def _flag(dialect: Dialect, field: str, col: str = "data") -> str:
    value = _text(dialect, field, col)
    return (f"CAST({value} AS INTEGER)" if dialect == "sqlite"
            else f"CASE WHEN {value} = 'true' THEN 1 ELSE 0 END")


def _pairs(dialect: Dialect, source: str, field: str) -> tuple[str, str, str]:
    """(FROM clause, first, second) unnesting ``field`` (a list of [a, b] pairs)."""
    if dialect == "sqlite":
        return (f"{source}, json_each({source}.data, '$.{field}') AS f",
                "json_extract(f.value, '$[0]')", "json_extract(f.value, '$[1]')")
    return (f"{source} CROSS JOIN LATERAL jsonb_array_elements(({source}.data)::jsonb -> "
            f"'{field}') AS f(v)", "(f.v ->> 0)", "(f.v ->> 1)")


def _values(dialect: Dialect, source: str, field: str) -> tuple[str, str]:
    """(FROM clause, value) unnesting ``field`` (a list of strings)."""
    if dialect == "sqlite":
        return f"{source}, json_each({source}.data, '$.{field}') AS f", "f.value"
    return (f"{source} CROSS JOIN LATERAL jsonb_array_elements_text(({source}.data)::jsonb -> "
            f"'{field}') AS f(v)", "f.v")


# The migration that added the alert ledger's severity and message to pm_open_findings.
FINDING_TEXT_MIGRATION = 7


def views(dialect: Dialect, as_of: int | None = None) -> dict[str, str]:
    """View name → its SELECT: the newest, or as migration ``as_of`` created them (a
    shipped migration never changes, so an older one keeps the views it made)."""
    t = lambda field, col="data": _text(dialect, field, col)  # noqa: E731
    n = lambda field, col="data": _number(dialect, field, col)  # noqa: E731
    facets_from, facet, value = _pairs(dialect, "records", "facets")
    sprints_from, sprint = _values(dialect, "records", "sprint_keys")
    releases_from, release = _values(dialect, "records", "release_keys")
    with_text = as_of is None or as_of >= FINDING_TEXT_MIGRATION
    finding_text = ("severity, subject_key, target_key, message," if with_text
                    else "subject_key, target_key,")
    return {
        # Current work items, one row each.
        "pm_items": f"""SELECT key AS item_key, tracker, {t('kind')} AS kind, {t('title')} AS title,
            {t('status')} AS status, {t('status_category')} AS status_category,
            {t('parent_key')} AS parent_key, {t('start')} AS start_date, {t('due')} AS due_date,
            {n('estimate')} AS estimate, {t('assignee')} AS assignee, {t('url')} AS url,
            {t('created')} AS created_at, {t('updated')} AS updated_at,
            {t('done_at')} AS done_at, run_id AS last_changed_run
            FROM records WHERE kind = 'item' AND removed = 0""",
        # The facets a product line's select matches on (project, component, label, list...).
        "pm_item_facets": f"""SELECT records.key AS item_key, records.tracker AS tracker,
            {facet} AS facet, {value} AS value FROM {facets_from}
            WHERE records.kind = 'item' AND records.removed = 0""",
        "pm_item_sprints": f"""SELECT records.key AS item_key, {sprint} AS sprint_key
            FROM {sprints_from} WHERE records.kind = 'item' AND records.removed = 0""",
        "pm_item_releases": f"""SELECT records.key AS item_key, {release} AS release_key
            FROM {releases_from} WHERE records.kind = 'item' AND records.removed = 0""",
        "pm_links": f"""SELECT {t('blocker_key')} AS blocker_key, {t('blocked_key')} AS blocked_key,
            {t('link_type')} AS link_type, tracker FROM records
            WHERE kind = 'link' AND removed = 0""",
        "pm_sprints": f"""SELECT key AS sprint_key, tracker, {t('name')} AS name,
            {t('state')} AS state, {t('start')} AS start_at, {t('end')} AS end_at,
            {t('completed')} AS completed_at, {t('goal')} AS goal
            FROM records WHERE kind = 'sprint' AND removed = 0""",
        "pm_releases": f"""SELECT key AS release_key, tracker, {t('name')} AS name,
            {t('release_date')} AS release_date, {_flag(dialect, 'released')} AS released
            FROM records WHERE kind = 'release' AND removed = 0""",
        # Open findings: the alert ledger's comments still standing on the trackers, with
        # the severity and headline (secrets masked) the comment carries.
        "pm_open_findings": f"""SELECT fingerprint, rule, {finding_text} comment_id,
            updated_at AS last_written_at FROM alerts WHERE state = 'open'""",
        # Every item as each run left it: a row per item per run in which it changed.
        "pm_item_history": f"""SELECT v.key AS item_key, v.run_id, r.started_at AS run_started_at,
            {t('title', 'v.data')} AS title, {t('status', 'v.data')} AS status,
            {t('status_category', 'v.data')} AS status_category,
            {t('parent_key', 'v.data')} AS parent_key, {t('due', 'v.data')} AS due_date,
            {n('estimate', 'v.data')} AS estimate, v.removed
            FROM revisions v JOIN runs r ON r.id = v.run_id WHERE v.kind = 'item'""",
        "pm_runs": """SELECT id AS run_id, command, started_at, finished_at, outcome, exit_code,
            host FROM runs""",
    }


def create_script(dialect: Dialect, as_of: int | None = None) -> str:
    return "\n".join(f"DROP VIEW IF EXISTS {name};\nCREATE VIEW {name} AS {sql};"
                     for name, sql in views(dialect, as_of).items())

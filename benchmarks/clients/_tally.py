"""What every client job keeps: the library calls it made, the records they returned,
and what failed. Imported by the job scripts from their own folder, inside each client's
virtualenv (so nothing here may import pmsync)."""

import json
import sys
import traceback

failed: list[str] = []
_counts = {"calls": 0, "records": 0}


def call(name, function):
    """One call of the library: a failure is noted and the job goes on."""
    _counts["calls"] += 1
    try:
        result = function()
    except Exception as exc:  # noqa: BLE001 - report every failure, keep going
        failed.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        traceback.print_exc(file=sys.stderr)
        return None
    if isinstance(result, list | tuple) or hasattr(result, "__len__") and not isinstance(
            result, str | dict):
        _counts["records"] += len(result)
    elif result is not None:
        _counts["records"] += 1
    return result


def report() -> None:
    """The job's one JSON line, which the suite reads."""
    print(json.dumps({**_counts, "failed": failed}))

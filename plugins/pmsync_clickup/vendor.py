"""How ClickUp's API signals errors and limits, for the kit's HTTP client.

ClickUp allows a number of requests per minute per token and says how many
are left on every answer (X-RateLimit-Remaining, X-RateLimit-Reset in whole
Unix seconds): we pace on that, so a spent budget waits for the reset instead
of running into a 429. Errors come as ``{"err": ..., "ECODE": ...}``.
"""

from __future__ import annotations

from typing import Any

from pmsync.kit.retry import Vendor


def clickup_detail(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    text = str(body.get("err") or body.get("message") or "")
    return f"{text} ({body['ECODE']})" if body.get("ECODE") else text


CLICKUP = Vendor("ClickUp", remaining_header="X-RateLimit-Remaining", error_detail=clickup_detail)

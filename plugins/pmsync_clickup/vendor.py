"""How ClickUp's API signals errors and limits, for the kit's HTTP client.

ClickUp allows a number of requests per minute per token and says how many
are left on every answer (X-RateLimit-Remaining, X-RateLimit-Reset in whole
Unix seconds): we pace on that, so a spent budget waits for the reset instead
of running into a 429. Errors come as ``{"err": ..., "ECODE": ...}``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import requests

from pmsync.kit.retry import Pacer, Vendor


def clickup_detail(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    text = str(body.get("err") or body.get("message") or "")
    return f"{text} ({body['ECODE']})" if body.get("ECODE") else text


CLICKUP = Vendor("ClickUp", remaining_header="X-RateLimit-Remaining", error_detail=clickup_detail)


# A window's reset, when the window opened on one of our requests: ClickUp says it in
# whole seconds, which the kit must read as up to a second early. But a window runs a
# whole number of seconds from the request that opened it (100 a minute), so the reset
# falls at the same fraction of a second as that request did: known to within its
# round trip, the wait past the reset shrinks from up to 1 s to this margin.
PHASE_MARGIN = 0.05


class WindowPacer(Pacer):
    """The kit's pacer, waking at a spent window's reset as the opening request places it.

    The request that opened a window is the answer whose X-RateLimit-Remaining is the
    limit less one; sent and answered within one second (nearly always), its fraction of
    a second is the reset's. If ClickUp's windows ever turn otherwise (not a whole number
    of seconds, or not from the opening request), the first 429 says so and every later
    wait keeps the kit's whole-second margin: at most one 429 per sync for it.
    """

    def __init__(self, vendor: Vendor, per_minute: int | None = None, clock=time.time,
                 sleep=time.sleep):
        super().__init__(vendor, per_minute, clock, sleep)
        self._opened: dict[float, float] = {}  # the kit's resume time -> this window's reset
        self._trusted = True

    def after_response(self, response: requests.Response) -> None:
        received = self.clock()  # before the lock: a sleeper may hold it for seconds
        super().after_response(response)
        if response.status_code == 429:
            self._trusted = False
            return
        headers = response.headers
        value = (headers.get(self.vendor.reset_header or "") or "").strip()
        if not value.isdigit() or int(value) > 1e11 or self.limit is None:
            return  # not whole seconds (milliseconds need no margin to speak of)
        if headers.get(self.vendor.remaining_header or "") != str(self.limit - 1):
            return
        elapsed = getattr(response, "elapsed", None)
        sent = received - (elapsed.total_seconds() if elapsed is not None else 0.0)
        if math.floor(sent - PHASE_MARGIN) != math.floor(received):
            return  # the round trip spans a whole second: which fraction is unknown
        reset = int(value) + received % 1 + PHASE_MARGIN
        with self._lock:
            resume = self.vendor.resume_at(response)
            if resume is not None and reset < resume:
                self._opened = {resume: reset}  # only the newest window matters

    def wake_at(self, reset_at: float) -> float:
        return self._opened.get(reset_at, reset_at) if self._trusted else reset_at

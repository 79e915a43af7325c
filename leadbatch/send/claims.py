"""The executor's side of the ledger: claiming each send before its request, waiting a
while for a claim another live run holds, and recording the outcome, off the event loop
(the ledger commits durably, which takes a disk flush)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..models import PlanRow
from .ledger import Claim, Ledger, Verdict, claim_key


@dataclass
class LedgerClaims:
    """Claims in `ledger` for the rows of one campaign (its results workbook)."""

    ledger: Ledger
    campaign: str
    source: str = ""
    wait: float = 60.0  # seconds to wait for another run's claim before leaving the row
    poll: float = 0.25

    def key(self, plan: PlanRow) -> str:
        src = plan.source
        assert src.email is not None
        return claim_key(src.action, src.email, self.campaign)

    async def claim(self, plan: PlanRow, sleep: Callable[[float], Awaitable[None]],
                    stop: threading.Event) -> Claim:
        waited = 0.0
        while True:
            claim = await asyncio.to_thread(
                self.ledger.claim, self.key(plan), action=plan.source.action,
                email=plan.source.email or "", campaign=self.campaign, source=self.source,
                row=plan.row, assistant_email=plan.assistant_email)
            if claim.verdict is not Verdict.BUSY or waited >= self.wait or stop.is_set():
                return claim
            await sleep(self.poll)  # another run is sending it: its answer is near
            waited += self.poll

    async def finish(self, plan: PlanRow, succeeded: bool, http_status: int | None,
                     attempts: int, lead_id: int | None, error: str) -> None:
        await asyncio.to_thread(self.ledger.finish, self.key(plan), succeeded=succeeded,
                                http_status=http_status, attempts=attempts, lead_id=lead_id,
                                error=error)

    async def release(self, plan: PlanRow, claim: Claim) -> None:
        await asyncio.to_thread(self.ledger.release, self.key(plan), claim.sent)

"""After a failed identity check: whether the caller has failed before in this call."""

from __future__ import annotations

from ivr.callflow.engine import StepContext
from ivr.flows.registry import action


@action("mismatches_so_far", outcomes={"first", "second"})
def mismatches_so_far(ctx: StepContext) -> str:
    """Tell whether this is the call's first failed check or a later one (counted since any transfer)."""
    return "first" if ctx.call.failed_checks <= 1 else "second"

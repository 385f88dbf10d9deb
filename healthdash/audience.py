"""Who is asking, as far as the dashboard cares: what each audience may see."""

from __future__ import annotations

from enum import StrEnum

from healthdash.conf import get_settings


class Audience(StrEnum):
    """What a caller sees; answers are cached per audience."""

    DETAILED = "detailed"   # staff, API key, the command line: statuses plus details, reasons, times
    STATUSES = "statuses"   # anonymous (default): each service's status, critical flag and latency
    OVERALL = "overall"     # anonymous with HEALTH_ANONYMOUS=overall: the overall status only


def audience_for(authorized: bool) -> Audience:
    """The audience of an authorized caller, or of an anonymous one under ``HEALTH_ANONYMOUS``."""
    if authorized:
        return Audience.DETAILED
    return Audience.OVERALL if get_settings().anonymous == "overall" else Audience.STATUSES

"""The dispute workflow in one place: which action a case allows in which status, and the warning
level suggested when it is raised or lowered. Pure functions: the services refuse what is not
allowed here, and the dispute dialog enables its buttons by asking the same functions."""

from __future__ import annotations

from dudu_desktop.domain.vocab import DONE_STATUSES, OPEN_STATUSES, DisputeStatus, WarningLevel

START, CONCLUDE, FOLLOWUP, LEVEL, CLOSE, REOPEN = "start", "conclude", "followup", "level", "close", "reopen"
ACTIONS = (START, CONCLUDE, FOLLOWUP, LEVEL, CLOSE, REOPEN)

#: the statuses in which each action may be taken
_ALLOWED_IN: dict[str, tuple[DisputeStatus, ...]] = {
    START: (DisputeStatus.PENDING,),
    CONCLUDE: OPEN_STATUSES,
    FOLLOWUP: (DisputeStatus.CONCLUDED,),
    LEVEL: (DisputeStatus.PENDING, DisputeStatus.MEDIATING, DisputeStatus.CONCLUDED),
    CLOSE: (DisputeStatus.CONCLUDED,),
    REOPEN: DONE_STATUSES,
}

#: raising a level goes one step up; a red case is suggested back to yellow
_SUGGESTED_LEVEL: dict[str, WarningLevel] = {
    WarningLevel.BLUE: WarningLevel.YELLOW,
    WarningLevel.YELLOW: WarningLevel.RED,
    WarningLevel.RED: WarningLevel.YELLOW,
}


def action_allowed(action: str, status: str) -> bool:
    """May ``action`` be taken on a case in ``status`` (permissions aside)?"""
    return status in _ALLOWED_IN[action]


def allowed_actions(status: str) -> dict[str, bool]:
    """Every action with whether the status allows it (the dialog's buttons)."""
    return {action: action_allowed(action, status) for action in ACTIONS}


def suggested_level(current: str) -> str:
    """The level offered when a case's warning level is to be changed."""
    return _SUGGESTED_LEVEL.get(current, WarningLevel.YELLOW)

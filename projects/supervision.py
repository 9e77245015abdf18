"""What supervision (督办) asks of projects: who heads the unit that answers for a record, the
ladder's first rung (`Supervisable.head`, declared in apps.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from projects.models import Household, ProjectIssue


def household_head(household: Household) -> User | None:
    """A household's squad head (the "1+1+N" squad's group head, 中层正职组长); None when the
    household has no squad yet."""
    return household.squad.head if household.squad is not None else None


def issue_head(issue: ProjectIssue) -> User | None:
    """An issue raised on a household answers to that household's squad head."""
    return household_head(issue.household) if issue.household is not None else None

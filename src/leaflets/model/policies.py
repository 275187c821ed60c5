"""Clinic-policy values that shared blocks print, and the ``{name}`` placeholders that print them.

A shared block (``content/blocks/<name>.yaml``) says "Do not eat for {fasting_food_hours} hours";
each clinic sets the number under ``policies:`` in its clinic file, or gets the safe default below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def _hours(default: int, low: int, high: int, meaning: str) -> Any:
    return Field(default=default, ge=low, le=high, description=meaning)


class Policies(BaseModel):
    """Each value a whole number in a safe range; the defaults follow the sources cited in the blocks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fasting_food_hours: Annotated[int, _hours(6, 4, 12, "hours without food before sedation")] = 6
    fasting_clear_fluids_hours: Annotated[int, _hours(2, 1, 6, "hours without clear fluids before sedation")] = 2
    no_driving_hours_after_sedation: Annotated[int, _hours(24, 24, 72, "hours without driving after sedation")] = 24
    adult_stays_hours_after_sedation: Annotated[
        int, _hours(24, 12, 48, "hours an adult stays with the patient after sedation")] = 24
    sedation_care_hours: Annotated[
        int, _hours(24, 24, 72, "hours without alcohol, machines, legal papers or important decisions after sedation")] = 24
    metformin_pause_hours_after_contrast: Annotated[
        int, _hours(48, 24, 72, "hours metformin waits after contrast dye, when the team says to pause it")] = 48
    shower_after_hours: Annotated[int, _hours(24, 24, 72, "hours before the wound may get wet in a shower")] = 24
    no_soaking_days: Annotated[int, _hours(7, 5, 14, "days without a bath, pool or hot tub")] = 7


POLICY_NAMES = tuple(Policies.model_fields)
DEFAULT_POLICIES = Policies()


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of ``text``, in order."""
    return PLACEHOLDER.findall(text)


def fill(text: str, values: Mapping[str, int], number: Callable[[int], str] = str) -> str:
    """``text`` with each known ``{name}`` replaced by its value, written the language's way."""
    return PLACEHOLDER.sub(lambda m: number(values[m[1]]) if m[1] in values else m[0], text)

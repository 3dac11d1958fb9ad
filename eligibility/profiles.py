"""The policy profile in force for a person's region, a year and a scope, from the database.

Profiles are stored and edited as `payments.PolicyProfile` rows (loaded from profiles.json with
`manage.py load_policy_profiles`); this module is the one place the eligibility services ask.
"""

import datetime

from eligibility.rules import Profile
from payments.policy import NoPolicy, latest_policy_row, policy_row_for, profile_of

__all__ = ["NoPolicy", "latest_profile_for", "profile_for"]


def profile_for(*, region_code: str, year: int, group: str, on: datetime.date | None = None) -> tuple[str, Profile]:
    """The profile for a region, coverage year and group ("resident" or "employee"); NoPolicy if none."""
    row = policy_row_for(region_code=region_code, year=year, scope=group, on=on)
    return row.name, profile_of(row)


def latest_profile_for(*, region_code: str, up_to_year: int, group: str) -> tuple[str, Profile] | None:
    row = latest_policy_row(region_code=region_code, up_to_year=up_to_year, scope=group)
    return None if row is None else (row.name, profile_of(row))

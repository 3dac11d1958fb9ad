"""Policy profiles in force, by pooling area, year and scheme group.

For now the profiles come from the project's copy of profiles.json and a region table beside it;
the payments issue moves them into the database with the same lookup.
"""

import json
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _

from eligibility.rules import Profile, ProfileBook

DATA = Path(__file__).resolve().parent / "data"


class NoProfile(LookupError):
    """No policy is configured for that region, year and scheme; the message says which."""


@cache
def profile_book() -> ProfileBook:
    return ProfileBook.from_file(DATA / "profiles.json")


@cache
def _region_table() -> dict[str, dict[str, dict[str, str]]]:
    data = json.loads((DATA / "region_profiles.json").read_text(encoding="utf-8"))
    return data["regions"]


def profile_name_for(*, region_code: str, year: int, group: str) -> str:
    """The profile name for a region, coverage year and group ("resident" or "employee")."""
    name = _region_table().get(region_code, {}).get(str(year), {}).get(group)
    if name is None:
        raise NoProfile(
            _("No %(group)s policy is configured for region %(region)s in %(year)s.")
            % {"group": group, "region": region_code, "year": year}
        )
    return name


def profile_for(*, region_code: str, year: int, group: str) -> tuple[str, Profile]:
    name = profile_name_for(region_code=region_code, year=year, group=group)
    return name, profile_book().get(name)


def latest_profile_for(*, region_code: str, up_to_year: int, group: str) -> tuple[str, Profile] | None:
    """The newest profile of a group in force for a year (critical-illness parameters stay until replaced)."""
    years = sorted((int(y) for y in _region_table().get(region_code, {})), reverse=True)
    for year in years:
        if year <= up_to_year:
            try:
                return profile_for(region_code=region_code, year=year, group=group)
            except NoProfile:
                continue
    return None

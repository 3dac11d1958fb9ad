"""Actors of the clerk workspace beyond those of tests/conftest.py (clerk, other_region_clerk, analyst)."""

import pytest

from enrollment.roles import ADMINISTRATOR, CLERK, SUPERVISOR
from tests.factories import StaffRegionFactory, UserFactory


@pytest.fixture
def supervisor(roles, nanchang):
    user = UserFactory(username="supervisor_nc", is_staff=True, groups=[roles[SUPERVISOR]])
    StaffRegionFactory(user=user, region=nanchang)
    return user


@pytest.fixture
def administrator(roles):
    """Works in every region without StaffRegion rows (enrollment/scoping.py)."""
    return UserFactory(username="administrator", is_staff=True, groups=[roles[ADMINISTRATOR]])


@pytest.fixture
def regionless_clerk(roles):
    """A clerk account not yet attached to a service hall: it sees nothing."""
    return UserFactory(username="clerk_nowhere", is_staff=True, groups=[roles[CLERK]])

"""Actors of the clerk workspace beyond those of tests/conftest.py (clerk, supervisor, administrator, ...)."""

import pytest

from enrollment.roles import CLERK
from tests.factories import UserFactory


@pytest.fixture
def regionless_clerk(roles):
    """A clerk account not yet attached to a service hall: it sees nothing."""
    return UserFactory(username="clerk_nowhere", is_staff=True, groups=[roles[CLERK]])

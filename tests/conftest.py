"""Shared fixtures: named actors and the guard that keeps the suite on PostgreSQL."""

import os

import pytest
from django.conf import settings
from django.utils import timezone

from enrollment.roles import ADMINISTRATOR, ANALYST, CLERK, SUPERVISOR, roles_ensure
from payments.policy_years import policy_profiles_load
from tests.factories import PersonFactory, RegionFactory, StaffRegionFactory, UserFactory, policy_years_through


def pytest_sessionstart(session: pytest.Session) -> None:
    # The product runs on PostgreSQL; constraints and locking differ on SQLite, so a run that
    # silently fell back to it would prove little. ALLOW_SQLITE_TESTS=1 is for a quick local look.
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine and os.environ.get("ALLOW_SQLITE_TESTS") != "1":
        pytest.exit(
            f"The test suite runs against PostgreSQL, but DATABASE_URL gives {engine}. "
            "Use `make test`, or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/medins.",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 with Django's iteration count costs a quarter of a second per password, and most tests
    # create staff or residents with one. What is hashed is not under test (sign-in still checks the
    # password); a test that needs the production hasher overrides PASSWORD_HASHERS itself.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roles(db):
    return roles_ensure()


@pytest.fixture
def policies(nanchang, fuzhou):
    """The policy profiles of profiles.json, in force for the regions that exist."""
    return policy_profiles_load()


@pytest.fixture
def policies_this_year(policies):
    """The profiles of the data files and, where they stop short of the current year, that year's
    (rolled over). For tests whose dates come from today because what they drive reads the real
    clock in another process (Chromium, gunicorn, Celery), which time-machine cannot pin."""
    policy_years_through(timezone.localdate().year)
    return policies


@pytest.fixture
def nanchang(db):
    return RegionFactory(code="360100", name_zh="南昌市", name_en="Nanchang")


@pytest.fixture
def fuzhou(db):
    return RegionFactory(code="361000", name_zh="抚州市", name_en="Fuzhou")


@pytest.fixture
def clerk(roles, nanchang):
    user = UserFactory(username="clerk_nc", is_staff=True, groups=[roles[CLERK]])
    StaffRegionFactory(user=user, region=nanchang)
    return user


@pytest.fixture
def other_region_clerk(roles, fuzhou):
    user = UserFactory(username="clerk_fz", is_staff=True, groups=[roles[CLERK]])
    StaffRegionFactory(user=user, region=fuzhou)
    return user


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
def analyst(roles):
    return UserFactory(username="analyst", is_staff=True, groups=[roles[ANALYST]])


@pytest.fixture
def resident(db, nanchang):
    user = UserFactory(username="resident")
    return PersonFactory(household_region=nanchang, user=user)


@pytest.fixture
def other_resident(db, nanchang):
    user = UserFactory(username="other_resident")
    return PersonFactory(household_region=nanchang, user=user)

"""Fixtures of the resident portal: an account linked to its insured person, and the SMS outbox.

Every portal test sends its text messages to the in-memory backend (never to a gateway or the log).
"""

import pytest

from enrollment.portal.accounts import MemorySmsBackend
from tests.factories import PersonFactory, UserFactory

RESIDENT_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _portal_sms_in_memory(settings):
    settings.PORTAL_SMS_BACKEND = "enrollment.portal.accounts.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def sms_outbox():
    """The text messages sent during the test (`SmsMessage`: phone, text, reference), oldest first."""
    MemorySmsBackend.outbox.clear()
    return MemorySmsBackend.outbox


@pytest.fixture
def resident_account(db, nanchang):
    """An insured person (phone 13812345678) with a portal account: user name = the ID number,
    password `tests.factories.TEST_PASSWORD`. Returns the person (`.user` is the account)."""
    person = PersonFactory(household_region=nanchang, name="王小明", phone=RESIDENT_PHONE)
    person.user = UserFactory(username=person.id_number, first_name=person.name)
    person.save(update_fields=["user"])
    return person

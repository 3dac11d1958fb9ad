"""Fixtures of the resident portal: an account linked to its insured person, and the SMS outbox.

Every portal test sends its text messages to the in-memory backend (never to a gateway or the log).
"""

import pytest
from django.db import connection

from enrollment.portal.accounts import MemorySmsBackend
from tests.factories import PersonFactory, UserFactory

RESIDENT_PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _portal_sms_in_memory(settings):
    settings.PORTAL_SMS_BACKEND = "enrollment.portal.accounts.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield
    MemorySmsBackend.outbox.clear()


class SmsOutbox:
    """`MemorySmsBackend.outbox` as the resident would see it once the request is over.

    The portal queues its text messages after the commit (`transaction.on_commit`), and a test's
    transaction never commits; so every read first runs the callbacks the test's transaction holds
    back, as a real commit would have run them. (A browser test's server commits for real.)
    """

    def _messages(self) -> list:
        if connection.in_atomic_block:
            pending, connection.run_on_commit[:] = list(connection.run_on_commit), []
            for _savepoints, callback, _robust in pending:
                callback()
        return MemorySmsBackend.outbox

    def __len__(self) -> int:
        return len(self._messages())

    def __iter__(self):
        return iter(list(self._messages()))

    def __getitem__(self, index):
        return self._messages()[index]

    def __eq__(self, other) -> bool:
        return self._messages() == list(other)

    def clear(self) -> None:
        self._messages().clear()


@pytest.fixture
def sms_outbox():
    """The text messages sent during the test (`SmsMessage`: phone, text, reference), oldest first."""
    MemorySmsBackend.outbox.clear()
    return SmsOutbox()


@pytest.fixture
def resident_account(db, nanchang):
    """An insured person (phone 13812345678) with a portal account: user name = the ID number,
    password `tests.factories.TEST_PASSWORD`. Returns the person (`.user` is the account)."""
    person = PersonFactory(household_region=nanchang, name="王小明", phone=RESIDENT_PHONE)
    person.user = UserFactory(username=person.id_number, first_name=person.name)
    person.save(update_fields=["user"])
    return person

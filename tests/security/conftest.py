"""The portal's fixtures (in-memory SMS and its outbox, a resident with an account) for these tests too."""

from tests.portal.conftest import _portal_sms_in_memory, resident_account, sms_outbox  # noqa: F401

"""No personal data in log lines: ID and phone numbers are masked by the handlers' filter
(config/log_filters.py), whatever logged them, and Django mails no error reports."""

from __future__ import annotations

import io
import logging

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import path

from config.log_filters import PersonalDataFilter, mask_personal_data

ID_NUMBER = "36010219900307123X"
PHONE = "13812345678"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"person {ID_NUMBER} paid", "person 360102********123X paid"),
        ("id 360102199003071234,", "id 360102********1234,"),
        (f"SMS to {PHONE}: code 123456", "SMS to 138****5678: code 123456"),
        (f"?q={ID_NUMBER}&phone={PHONE}", "?q=360102********123X&phone=138****5678"),
        # Not personal identifiers: payment references, amounts, a longer run of digits, a short code.
        ("reference WX2025110912345678901 amount 400.00", "reference WX2025110912345678901 amount 400.00"),
        ("12345678901234567890", "12345678901234567890"),
        ("code 123456 person 42", "code 123456 person 42"),
    ],
)
def test_identifiers_are_masked_and_other_numbers_left_alone(text, masked):
    assert mask_personal_data(text) == masked


@pytest.fixture
def console():
    """The configured console handler (the one production writes with), writing into a buffer."""
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters)]
    assert handlers, "LOGGING's console handler must carry the personal-data filter"
    handler = handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_a_log_line_with_arguments_and_a_traceback_is_masked(console):
    logger = logging.getLogger("payments.services")
    try:
        raise ValueError(f"no enrolment for {ID_NUMBER}")
    except ValueError:
        logger.exception("recording for %s (phone %s) failed", ID_NUMBER, PHONE)
    written = console.getvalue()
    assert "recording for 360102********123X (phone 138****5678) failed" in written
    assert "ValueError: no enrolment for 360102********123X" in written
    assert ID_NUMBER not in written and PHONE not in written


def test_the_development_sms_backend_logs_the_code_but_not_the_phone(console):
    from enrollment.portal.accounts import LogSmsBackend, SmsMessage

    LogSmsBackend().send(SmsMessage(phone=PHONE, text="code 654321", reference="r"))
    assert "SMS to 138****5678: code 654321" in console.getvalue()
    assert PHONE not in console.getvalue()


def _failing_view(request):
    raise RuntimeError(f"lookup of {request.GET['q']} failed")


urlpatterns = [path("boom", _failing_view)]


@override_settings(ROOT_URLCONF=__name__, ADMINS=[("ops", "ops@example.gov.cn")], DEBUG=False)
def test_a_server_error_is_logged_masked_and_mailed_to_nobody(client, console):
    client.raise_request_exception = False
    response = client.get("/boom", {"q": ID_NUMBER})
    assert response.status_code == 500
    written = console.getvalue()
    assert "Internal Server Error: /boom" in written
    assert "lookup of 360102********123X failed" in written
    assert ID_NUMBER not in written
    # An error report would carry the request (its query, its session) into a mailbox.
    assert mail.outbox == []
    assert ID_NUMBER not in response.content.decode()


def test_celery_workers_keep_the_masked_handlers():
    from config.celery import app

    assert app.conf.worker_hijack_root_logger is False

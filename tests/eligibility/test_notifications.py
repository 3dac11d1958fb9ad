"""Delivering reminders: due days, retries, backends (log, console, e-mail, SMS gateway), the job's doors."""

import datetime as dt
import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from eligibility.models import Notification, NotificationKind, NotificationStatus
from eligibility.notifications import (
    RETRY_DELAY,
    ConsoleBackend,
    Contact,
    DeliveryError,
    NotificationBackend,
    OutgoingMessage,
    SmsBackend,
    notifications_deliver,
)
from tests.factories import TEST_PASSWORD, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
D = dt.date
# 08:00 in Asia/Shanghai on 15 October 2025.
NOW = dt.datetime(2025, 10, 15, 0, 0, tzinfo=dt.UTC)
GAP_PARAMS = {"last_month": "2025-06", "grace": 3, "deadline": "2025-10-31", "after": "2025-11-01"}


SEND_ON, EXPIRES_ON = D(2025, 10, 15), D(2025, 10, 31)


def notification(person, *, send_on=SEND_ON, expires_on=EXPIRES_ON, **fields) -> Notification:
    return Notification.objects.create(
        person=person,
        kind=fields.pop("kind", NotificationKind.GAP_DEADLINE),
        subject_on=fields.pop("subject_on", expires_on),
        send_on=send_on,
        expires_on=expires_on,
        params=GAP_PARAMS,
        fingerprint="test",
        **fields,
    )


@pytest.fixture
def person(nanchang):
    user = UserFactory(username="reminded", email="li.hua@example.cn")
    return PersonFactory(household_region=nanchang, phone="13812345678", user=user, name="李华")


class Recording(NotificationBackend):
    """Records what it is asked to send; fails the first `failures` times."""

    def __init__(self, channel: str = "test", failures: int = 0) -> None:
        self.channel = channel
        self.failures = failures
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("gateway busy")
        self.sent.append(message)


def test_the_default_backend_writes_the_chinese_text_to_the_log(person, caplog):
    due = notification(person)

    with caplog.at_level(logging.INFO, logger="eligibility.notifications"):
        result = notifications_deliver(now=NOW)

    due.refresh_from_db()
    assert (result.sent, due.status, due.channels, due.attempts) == (1, NotificationStatus.SENT, "log", 1)
    assert due.sent_at == NOW and due.sent_text.startswith("请于2025年10月31日前缴费")
    assert "请于2025年10月31日前缴费" in caplog.text


def test_only_what_is_due_on_the_shanghai_date_is_sent(person):
    # 16:30 UTC on 14 October is 00:30 on 15 October in Asia/Shanghai.
    now = dt.datetime(2025, 10, 14, 16, 30, tzinfo=dt.UTC)
    today, tomorrow = (
        notification(person, send_on=D(2025, 10, 15)),
        notification(person, send_on=D(2025, 10, 16), subject_on=D(2025, 10, 30)),
    )
    backend = Recording()

    result = notifications_deliver(now=now, backends=[backend])

    assert result.sent == 1 and [m.notification_id for m in backend.sent] == [today.pk]
    tomorrow.refresh_from_db()
    assert tomorrow.status == NotificationStatus.PENDING


def test_a_sent_notification_is_never_sent_again(person):
    notification(person)
    backend = Recording()

    first = notifications_deliver(now=NOW, backends=[backend])
    again = notifications_deliver(now=NOW + dt.timedelta(days=1), backends=[backend])

    assert (first.sent, again.sent, len(backend.sent)) == (1, 0, 1)


def test_a_failure_is_recorded_and_retried_later(person):
    due = notification(person)
    backend = Recording(channel="sms", failures=1)

    failed = notifications_deliver(now=NOW, backends=[backend])
    due.refresh_from_db()
    assert (failed.failed, due.status, due.attempts) == (1, NotificationStatus.FAILED, 1)
    assert due.last_error == "sms: gateway busy" and due.retry_at == NOW + RETRY_DELAY

    too_early = notifications_deliver(now=NOW + RETRY_DELAY / 2, backends=[backend])
    retried = notifications_deliver(now=NOW + RETRY_DELAY, backends=[backend])

    due.refresh_from_db()
    assert (too_early.handled, retried.sent) == (0, 1)
    assert (due.status, due.attempts, due.retry_at, due.last_error) == (NotificationStatus.SENT, 2, None, "")


def test_delivery_gives_up_after_the_maximum_attempts(person, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    due = notification(person)
    backend = Recording(failures=99)

    notifications_deliver(now=NOW, backends=[backend])
    notifications_deliver(now=NOW + RETRY_DELAY, backends=[backend])
    later = notifications_deliver(now=NOW + dt.timedelta(days=3), backends=[backend])

    due.refresh_from_db()
    assert (due.status, due.attempts, due.retry_at) == (NotificationStatus.FAILED, 2, None)
    assert later.handled == 0


def test_a_retry_does_not_repeat_the_channels_that_delivered(person):
    due = notification(person)
    log, sms = Recording(channel="log"), Recording(channel="sms", failures=1)

    notifications_deliver(now=NOW, backends=[log, sms])
    notifications_deliver(now=NOW + RETRY_DELAY, backends=[log, sms])

    due.refresh_from_db()
    assert (len(log.sent), len(sms.sent)) == (1, 1)
    assert (due.status, due.channels) == (NotificationStatus.SENT, "log,sms")


def test_a_notification_past_its_day_is_cancelled_not_sent(person):
    stale = notification(person, send_on=D(2025, 10, 1), expires_on=D(2025, 10, 14))
    backend = Recording()

    result = notifications_deliver(now=NOW, backends=[backend])

    stale.refresh_from_db()
    assert (result.expired, stale.status, backend.sent) == (1, NotificationStatus.CANCELLED, [])


def test_batches_and_limit(person):
    for day in range(20, 25):
        notification(person, subject_on=D(2025, 10, day))
    backend = Recording()

    first = notifications_deliver(now=NOW, backends=[backend], limit=3, batch_size=2)
    rest = notifications_deliver(now=NOW, backends=[backend], batch_size=2)

    assert (first.sent, rest.sent, len(backend.sent)) == (3, 2, 5)


def test_messages_go_out_in_the_configured_language(person, settings):
    settings.NOTIFICATION_LANGUAGE = "en"
    notification(person)
    backend = Recording()

    notifications_deliver(now=NOW, backends=[backend])

    assert backend.sent[0].title == "Pay by Oct. 31, 2025 to keep your cover continuous"


def test_locked_notifications_are_left_to_the_deliverer_holding_them(transactional_db, nanchang):
    due = notification(PersonFactory(household_region=nanchang))
    locked, release = threading.Event(), threading.Event()

    def other_deliverer() -> None:
        try:
            with transaction.atomic():
                list(Notification.objects.select_for_update().filter(pk=due.pk))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=other_deliverer)
    holder.start()
    assert locked.wait(10)
    try:
        skipped = notifications_deliver(now=NOW, backends=[Recording()])
    finally:
        release.set()
        holder.join(10)
    after = notifications_deliver(now=NOW, backends=[Recording()])

    assert (skipped.handled, after.sent) == (0, 1)


# --- backends --------------------------------------------------------------------------------


def test_console_backend_prints_the_message(person, settings, capsys):
    settings.NOTIFICATION_BACKENDS = ["eligibility.notifications.ConsoleBackend"]
    notification(person)

    notifications_deliver(now=NOW)

    out = capsys.readouterr().out
    assert f"person {person.pk}" in out and "请于2025年10月31日前缴费" in out
    stream = io.StringIO()
    ConsoleBackend(stream).send(OutgoingMessage(1, 2, "李华", "gap_deadline", {}, "zh-hans", "标题", "正文", Contact()))
    assert stream.getvalue() == "[notification 1 → person 2] 标题\n正文\n"


def test_email_goes_to_the_self_service_account_address(person, nanchang, settings):
    settings.NOTIFICATION_BACKENDS = ["eligibility.notifications.EmailBackend"]
    settings.DEFAULT_FROM_EMAIL = "noreply@medins.example.gov.cn"
    emailed = notification(person)
    no_account = notification(PersonFactory(household_region=nanchang))

    result = notifications_deliver(now=NOW)

    assert (result.sent, result.unreachable) == (1, 1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li.hua@example.cn"] and message.from_email == "noreply@medins.example.gov.cn"
    assert message.subject == "请于2025年10月31日前缴费，保持连续参保" and "2025年6月" in message.body
    emailed.refresh_from_db()
    no_account.refresh_from_db()
    assert (emailed.channels, no_account.status) == ("email", NotificationStatus.UNREACHABLE)


class Gateway:
    """A local SMS gateway: records each request; answers with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body.decode("utf-8"))}
                )
                self.send_response(gateway.status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Gateway":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_settings(settings):
    def configure(url: str) -> None:
        settings.NOTIFICATION_BACKENDS = ["eligibility.notifications.SmsBackend"]
        settings.NOTIFICATION_SMS_URL = url
        settings.NOTIFICATION_SMS_TOKEN = "gateway-token"
        settings.NOTIFICATION_SMS_TIMEOUT = 5

    return configure


def test_sms_is_posted_as_json_with_the_token(person, nanchang, sms_settings):
    sent = notification(person)
    no_phone = notification(PersonFactory(household_region=nanchang))

    with Gateway() as gateway:
        sms_settings(gateway.url)
        result = notifications_deliver(now=NOW)

    assert (result.sent, result.unreachable) == (1, 1)
    [request] = gateway.requests
    assert request["path"] == "/sms/send" and request["headers"]["Authorization"] == "Bearer gateway-token"
    body = request["json"]
    assert body["id"] == f"medins-notification-{sent.pk}" and body["phone"] == "13812345678"
    assert body["kind"] == "gap_deadline" and body["params"] == GAP_PARAMS
    assert body["text"].startswith("请于2025年10月31日前缴费，保持连续参保。您的职工医保缴费截至2025年6月")
    no_phone.refresh_from_db()
    assert no_phone.status == NotificationStatus.UNREACHABLE


def test_a_gateway_error_is_a_failure_to_retry(person, sms_settings):
    due = notification(person)

    with Gateway(status=503) as gateway:
        sms_settings(gateway.url)
        result = notifications_deliver(now=NOW)

    due.refresh_from_db()
    assert result.failed == 1 and len(gateway.requests) == 1
    assert (due.status, due.last_error, due.retry_at) == (
        NotificationStatus.FAILED,
        "sms: SMS gateway answered HTTP 503",
        NOW + RETRY_DELAY,
    )


def test_an_unreachable_gateway_is_a_failure_to_retry(person, sms_settings):
    with Gateway() as gateway:
        url = gateway.url  # closed when used
    sms_settings(url)
    due = notification(person)

    result = notifications_deliver(now=NOW)

    due.refresh_from_db()
    assert result.failed == 1 and due.last_error.startswith("sms: SMS gateway unreachable")


def test_the_sms_backend_needs_the_gateway_url(settings):
    settings.NOTIFICATION_SMS_URL = ""
    with pytest.raises(ImproperlyConfigured, match="NOTIFICATION_SMS_URL"):
        SmsBackend()


def phone_for_everyone(persons):
    return {p.pk: Contact(phone="13900000000") for p in persons}


def test_addresses_come_from_a_pluggable_resolver(nanchang, sms_settings, settings):
    settings.NOTIFICATION_CONTACT_RESOLVER = "tests.eligibility.test_notifications.phone_for_everyone"
    notification(PersonFactory(household_region=nanchang))  # no phone in the register

    with Gateway() as gateway:
        sms_settings(gateway.url)
        result = notifications_deliver(now=NOW)

    assert result.sent == 1 and gateway.requests[0]["json"]["phone"] == "13900000000"


# --- the doors: command, task, beat, admin ---------------------------------------------------


def test_the_command_delivers_in_process_without_a_broker(person, capsys):
    today = timezone.localdate()
    notification(person, send_on=today, expires_on=today + dt.timedelta(days=10))

    call_command("deliver_notifications", "--limit", "10")

    assert "1 sent, 0 failed, 0 unreachable, 0 expired" in capsys.readouterr().out
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_the_task_delivers_and_returns_counts(person):
    from eligibility.tasks import deliver_notifications

    today = timezone.localdate()
    notification(person, send_on=today, expires_on=today)

    assert deliver_notifications.delay().get() == {"sent": 1, "failed": 0, "unreachable": 0, "expired": 0}


def test_beat_delivers_every_daytime_hour_after_the_nightly_run():
    from config.celery import app
    from eligibility.tasks import deliver_notifications

    entry = app.conf.beat_schedule["deliver-notifications"]
    assert entry["task"] == deliver_notifications.name
    assert entry["schedule"].hour == set(range(8, 21)) and entry["schedule"].minute == {0}


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password=TEST_PASSWORD))
    return client


def test_clerks_see_notifications_read_only_with_filters(superuser_client, person):
    reminder = notification(person)
    changelist = reverse("admin:eligibility_notification_changelist")

    listed = superuser_client.get(changelist, {"status__exact": "pending", "kind__exact": "gap_deadline"})
    filtered_out = superuser_client.get(changelist, {"status__exact": "sent"})
    page = superuser_client.get(reverse("admin:eligibility_notification_change", args=[reminder.pk]))
    edit = superuser_client.post(reverse("admin:eligibility_notification_change", args=[reminder.pk]), {})

    assert listed.status_code == 200 and "李华" in listed.content.decode()
    assert "李华" not in filtered_out.content.decode()
    assert "请于2025年10月31日前缴费" in page.content.decode()
    assert edit.status_code == 403
    assert superuser_client.get(reverse("admin:eligibility_notification_add")).status_code == 403

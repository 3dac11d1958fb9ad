"""Delivering reminders: pluggable backends and the delivery job.

The recompute creates `Notification` rows (eligibility/reminders.py); `notifications_deliver`
sends the due ones through every backend of `settings.NOTIFICATION_BACKENDS` (dotted paths):

- `LogBackend` (the default) and `ConsoleBackend` reach everyone: they only write the text out;
- `EmailBackend` sends with Django's `send_mail` to the person's e-mail address;
- `SmsBackend` posts JSON to the SMS gateway of `NOTIFICATION_SMS_URL` with a bearer token.

Addresses come from the resolver of `settings.NOTIFICATION_CONTACT_RESOLVER`: by default the
person's mobile number (`Person.phone`) and the e-mail of the person's self-service account
(`Person.user.email`). A backend without an address for the person is skipped; a notification that
no backend can reach is marked `unreachable` (the portal still shows it).

Each batch is locked with `SELECT ... FOR UPDATE SKIP LOCKED`, so several workers may deliver at
once without sending anything twice. A backend error marks the notification `failed` with the error
and the attempt count; it is tried again after a growing delay, up to `NOTIFICATION_MAX_ATTEMPTS`,
through the backends that have not delivered it yet. A notification whose subject day has passed
(`expires_on`) is cancelled instead of sent.
"""

import datetime
import json
import logging
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from eligibility.models import Notification, NotificationStatus
from eligibility.reminders import reminder_text
from enrollment.models import Person

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 5000
DEFAULT_BATCH_SIZE = 100
# The first retry waits this long; every later one twice as long as the one before.
RETRY_DELAY = datetime.timedelta(minutes=30)


class DeliveryError(Exception):
    """A backend could not deliver a message; the text says why (stored as the last error)."""


@dataclass(frozen=True)
class Contact:
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    person_id: int
    person_name: str
    kind: str
    params: dict[str, Any]
    language: str
    title: str
    body: str
    contact: Contact


class NotificationBackend:
    """Delivers messages through one channel. Subclasses set `channel` and implement `send`."""

    channel: ClassVar[str] = ""

    def reaches(self, contact: Contact) -> bool:
        """Whether this channel has an address for the person."""
        return True

    def send(self, message: OutgoingMessage) -> None:
        """Deliver, or raise DeliveryError (any other exception is treated the same way)."""
        raise NotImplementedError


class LogBackend(NotificationBackend):
    """Writes each message to the `eligibility.notifications` log (the default)."""

    channel = "log"

    def send(self, message: OutgoingMessage) -> None:
        logger.info(
            "notification %s to person %s (%s): %s | %s",
            message.notification_id,
            message.person_id,
            message.kind,
            message.title,
            message.body,
        )


class ConsoleBackend(NotificationBackend):
    """Prints each message (local development)."""

    channel = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: OutgoingMessage) -> None:
        stream = self.stream or sys.stdout
        stream.write(f"[notification {message.notification_id} → person {message.person_id}] {message.title}\n")
        stream.write(f"{message.body}\n")
        stream.flush()


class EmailBackend(NotificationBackend):
    """Sends through Django's e-mail backend (`EMAIL_*` settings) to the person's e-mail address."""

    channel = "email"

    def reaches(self, contact: Contact) -> bool:
        return bool(contact.email)

    def send(self, message: OutgoingMessage) -> None:
        send_mail(
            message.title,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.contact.email],
            fail_silently=False,
        )


class SmsBackend(NotificationBackend):
    """POSTs one JSON message per SMS to the agency's gateway.

    Body: `id` (stable per notification, for the gateway to drop repeats after a retry), `phone`,
    `text`, and `kind` + `params` for gateways that send by approved template. Any HTTP status
    other than 2xx, or a network error, is a failure (retried later).
    """

    channel = "sms"

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None) -> None:
        self.url = url if url is not None else settings.NOTIFICATION_SMS_URL
        self.token = token if token is not None else settings.NOTIFICATION_SMS_TOKEN
        self.timeout = timeout if timeout is not None else settings.NOTIFICATION_SMS_TIMEOUT
        if not self.url:
            raise ImproperlyConfigured("SmsBackend needs NOTIFICATION_SMS_URL (the SMS gateway's address).")

    def reaches(self, contact: Contact) -> bool:
        return bool(contact.phone)

    def send(self, message: OutgoingMessage) -> None:
        payload = {
            "id": f"medins-notification-{message.notification_id}",
            "phone": message.contact.phone,
            "text": f"{message.title}。{message.body}" if message.language.startswith("zh") else message.body,
            "kind": message.kind,
            "params": message.params,
            "language": message.language,
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"SMS gateway answered HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DeliveryError(f"SMS gateway unreachable: {error}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"SMS gateway answered HTTP {status}")


def person_contacts(persons: Iterable[Person]) -> dict[int, Contact]:
    """The default resolver: mobile number from the register, e-mail from the self-service account.

    Called once per batch with persons loaded with `select_related("user")`, so it reads no row.
    """
    contacts = {}
    for person in persons:
        user = person.user
        contacts[person.pk] = Contact(phone=person.phone or "", email=(user.email if user is not None else "") or "")
    return contacts


def configured_backends() -> list[NotificationBackend]:
    backends = [import_string(path)() for path in settings.NOTIFICATION_BACKENDS]
    if not backends:
        raise ImproperlyConfigured("NOTIFICATION_BACKENDS lists no backend.")
    return backends


def configured_resolver() -> Callable[[Iterable[Person]], dict[int, Contact]]:
    resolver: Callable[[Iterable[Person]], dict[int, Contact]] = import_string(settings.NOTIFICATION_CONTACT_RESOLVER)
    return resolver


def notifications_due(*, now: datetime.datetime) -> QuerySet[Notification]:
    """Pending ones whose day has come (Asia/Shanghai), and failed ones whose retry time has come."""
    today = timezone.localdate(now)
    retry = Q(status=NotificationStatus.FAILED, retry_at__lte=now, attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS)
    return Notification.objects.filter(Q(status=NotificationStatus.PENDING) | retry, send_on__lte=today)


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.unreachable + self.expired


def _channels(notification: Notification) -> set[str]:
    return {channel for channel in notification.channels.split(",") if channel}


def _deliver_one(
    notification: Notification,
    *,
    backends: list[NotificationBackend],
    contact: Contact,
    now: datetime.datetime,
    language: str,
    result: DeliveryResult,
) -> None:
    if notification.expires_on < timezone.localdate(now):
        notification.status = NotificationStatus.CANCELLED
        notification.cancelled_at = now
        notification.retry_at = None
        notification.last_error = "expired before it could be sent"
        result.expired += 1
        return
    reaching = [backend for backend in backends if backend.reaches(contact)]
    if not reaching:
        notification.status = NotificationStatus.UNREACHABLE
        notification.retry_at = None
        notification.last_error = "no address for any configured channel"
        result.unreachable += 1
        return
    title, body = reminder_text(notification, language)
    message = OutgoingMessage(
        notification_id=notification.pk,
        person_id=notification.person_id,
        person_name=notification.person.name,
        kind=notification.kind,
        params=dict(notification.params),
        language=language,
        title=title,
        body=body,
        contact=contact,
    )
    done = _channels(notification)
    errors = []
    for backend in reaching:
        if backend.channel in done:
            continue  # delivered at an earlier attempt: never twice
        try:
            backend.send(message)
        except Exception as error:  # noqa: BLE001 - a channel's failure is recorded and retried
            errors.append(f"{backend.channel}: {error}")
        else:
            done.add(backend.channel)
    notification.channels = ",".join(sorted(done))
    notification.attempts += 1
    if errors:
        notification.status = NotificationStatus.FAILED
        notification.last_error = "; ".join(errors)[:2000]
        if notification.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            notification.retry_at = now + RETRY_DELAY * 2 ** (notification.attempts - 1)
        else:
            notification.retry_at = None  # given up: stays failed for a clerk to see
        result.failed += 1
        result.errors.append(f"{notification.pk}: {notification.last_error}")
        return
    notification.status = NotificationStatus.SENT
    notification.sent_at = now
    notification.retry_at = None
    notification.last_error = ""
    notification.sent_text = f"{title}\n{body}"
    result.sent += 1


UPDATED_FIELDS = [
    "status",
    "channels",
    "attempts",
    "last_error",
    "retry_at",
    "sent_text",
    "sent_at",
    "cancelled_at",
]


def notifications_deliver(
    *,
    now: datetime.datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    batch_size: int = DEFAULT_BATCH_SIZE,
    backends: list[NotificationBackend] | None = None,
) -> DeliveryResult:
    """Send up to `limit` due notifications, a batch per transaction; returns the counts.

    Retry-safe: a notification is locked while it is sent and marked in the same transaction, and
    backends that delivered it are never called again for it.
    """
    now = now or timezone.now()
    backends = backends if backends is not None else configured_backends()
    resolver = configured_resolver()
    language = settings.NOTIFICATION_LANGUAGE
    result = DeliveryResult()
    while result.handled < limit:
        with transaction.atomic():
            batch = list(
                notifications_due(now=now)
                .select_related("person__user")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("send_on", "pk")[: min(batch_size, limit - result.handled)]
            )
            if not batch:
                break
            contacts = resolver([notification.person for notification in batch])
            for notification in batch:
                _deliver_one(
                    notification,
                    backends=backends,
                    contact=contacts.get(notification.person_id, Contact()),
                    now=now,
                    language=language,
                    result=result,
                )
            Notification.objects.bulk_update(batch, UPDATED_FIELDS)
    logger.info(
        "notifications: %s sent, %s failed, %s unreachable, %s expired",
        result.sent,
        result.failed,
        result.unreachable,
        result.expired,
    )
    return result

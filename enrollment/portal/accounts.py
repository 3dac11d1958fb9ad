"""Resident accounts: registration by a code sent to the phone of the register, password reset by
the same kind of code, and the link of a guardian to their children.

A resident proves who they are by knowing their ID number, their name and holding the mobile phone
recorded in the register. Every answer before the code is checked is the same whether the person
exists or not (see `OneTimeCode`), so the register cannot be probed through these pages.

Sign-in lockout is django-axes (settings.AXES_*); the limits of the codes are settings.PORTAL_CODE_*.
"""

import datetime
import functools
import hmac
import json
import logging
import re
import secrets
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from axes.backends import AxesStandaloneBackend
from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from enrollment.checklists import NEWBORN
from enrollment.identity import mask_phone, normalize_id_number, parse_id_number
from enrollment.models import (
    Case,
    CaseKind,
    CodePurpose,
    FamilyRelation,
    OneTimeCode,
    Person,
)
from enrollment.portal.access import ADULT_AGE, GUARDIAN_KINDS

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
# A guardian manages the accounts of minors only (access.ADULT_AGE); newborn registration is for the
# first year of life (older children not yet in the register are registered at the service hall).
NEWBORN_MAX_DAYS = 366
BIRTH_CERTIFICATE_LABEL = "出生医学证明"

# --- sign-in lockout ----------------------------------------------------------------------------


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check before the password backends (settings.AUTHENTICATION_BACKENDS).

    `authenticate()` without a request (the shell, Django's test client `login()`) is not a sign-in
    from the web and has no address to count; axes would refuse it outright, so it is let through to
    the password check. Every web sign-in (portal, clerk admin, API) passes its request.
    """

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


# --- SMS ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    # Stable per message, so a gateway can drop a repeat after a network retry.
    reference: str


class SmsBackend:
    """Sends one text message. `settings.PORTAL_SMS_BACKEND` names the class (dotted path)."""

    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class LogSmsBackend(SmsBackend):
    """Writes the message, code included, to the log: for development only (the default)."""

    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", message.phone, message.text)


class ConsoleSmsBackend(SmsBackend):
    """Prints the message (local development)."""

    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[SMS → {message.phone}] {message.text}\n")
        sys.stdout.flush()


class MemorySmsBackend(SmsBackend):
    """Keeps the messages in `MemorySmsBackend.outbox` (tests; see the `sms_outbox` fixture)."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, message: SmsMessage) -> None:
        self.outbox.append(message)


class GatewaySmsBackend(SmsBackend):
    """The agency's SMS gateway, the same one the reminders use (`NOTIFICATION_SMS_URL`, bearer
    `NOTIFICATION_SMS_TOKEN`): one JSON POST per message; anything but 2xx is an error."""

    def __init__(self) -> None:
        if not settings.NOTIFICATION_SMS_URL:
            raise ImproperlyConfigured("GatewaySmsBackend needs NOTIFICATION_SMS_URL (the SMS gateway's address).")

    def send(self, message: SmsMessage) -> None:
        payload = {"id": message.reference, "phone": message.phone, "text": message.text, "kind": "one_time_code"}
        request = urllib.request.Request(
            settings.NOTIFICATION_SMS_URL,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {settings.NOTIFICATION_SMS_TOKEN}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.NOTIFICATION_SMS_TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsError(f"SMS gateway answered HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(f"SMS gateway unreachable: {error}") from None
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway answered HTTP {status}")


class SmsError(Exception):
    """The SMS could not be sent (the text says why; it is logged, not shown to the resident)."""


def sms_send(*, phone: str, text: str, reference: str) -> None:
    """Send one SMS through the configured backend."""
    backend: SmsBackend = import_string(settings.PORTAL_SMS_BACKEND)()
    backend.send(SmsMessage(phone=phone, text=text, reference=reference))


# --- one-time codes -------------------------------------------------------------------------------


def _hash(token: uuid.UUID, code: str) -> str:
    # Keyed with SECRET_KEY and the row's token: a copy of the table alone does not give the codes.
    return salted_hmac("enrollment.portal.one_time_code", f"{token}:{code}").hexdigest()


def _throttle(*, phone: str, purpose: str, now: datetime.datetime) -> None:
    """Refuse a new code to a phone that had one moments ago, or too many in the last hour."""
    recent = list(
        OneTimeCode.objects.filter(
            phone=phone, purpose=purpose, created_at__gt=now - datetime.timedelta(hours=1)
        ).values_list("created_at", flat=True)
    )
    if len(recent) >= settings.PORTAL_CODES_PER_HOUR:
        raise ValidationError(
            _("Too many codes were asked for this phone in the last hour. Please try again later."), code="throttled"
        )
    if recent:
        wait = settings.PORTAL_CODE_RESEND_SECONDS - (now - max(recent)).total_seconds()
        if wait > 0:
            seconds = int(wait) + 1
            raise ValidationError(
                _("Please wait %(seconds)d s before asking for a new code.") % {"seconds": seconds},
                code="throttled",
            )


def _code_issue(*, person: Person | None, phone: str, purpose: str, now: datetime.datetime) -> uuid.UUID:
    """Store a code (a decoy when `person` is None) and queue its text message; returns the token
    for the session.

    The request does the same work whether the details matched a person or not: one row and one
    task queued after the commit (`code_sms_send`, on a worker, or in-process after the response's
    transaction without a broker). The task sends the message only for a real code, so neither the
    answer nor its time tells whether the ID number, name and phone belong together.
    """
    _throttle(phone=phone, purpose=purpose, now=now)
    token = uuid.uuid4()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    OneTimeCode.objects.create(
        token=token,
        purpose=purpose,
        person=person,
        phone=phone,
        # A decoy's hash is of a random text no 6-digit code can match.
        code_hash=_hash(token, code if person is not None else secrets.token_hex(16)),
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=settings.PORTAL_CODE_TTL_MINUTES),
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(functools.partial(_code_sms_queue, token=str(token), code=code, language=language))
    return token


def _code_sms_queue(*, token: str, code: str, language: str) -> None:
    try:
        code_sms_send.apply_async(args=[token, code, language], retry=False)
    except Exception:  # noqa: BLE001 - logged; the resident sees the same answer and may ask again
        logger.exception("the text message of one-time code %s could not be queued", token)


@shared_task(acks_late=True)
def code_sms_send(token: str, code: str, language: str) -> bool:
    """Send the text message of a portal one-time code (queued by `_code_issue`)."""
    return code_sms_deliver(token=token, code=code, language=language)


def code_sms_deliver(*, token: str, code: str, language: str) -> bool:
    """Send the text message of a one-time code, in the resident's language, if `code` is the row's
    (a decoy's never is). Returns whether a message was sent; a gateway failure is logged (the
    resident may ask for a new code)."""
    row = OneTimeCode.objects.filter(token=token).first() if _is_uuid(token) else None
    if row is None or row.person_id is None or not hmac.compare_digest(row.code_hash, _hash(row.token, code)):
        return False
    with translation.override(language):
        text = _(
            "Medical insurance services: your verification code is %(code)s, valid for %(minutes)d minutes. "
            "Do not give it to anyone; our staff never ask for it."
        ) % {"code": code, "minutes": settings.PORTAL_CODE_TTL_MINUTES}
    try:
        sms_send(phone=row.phone, text=text, reference=f"medins-code-{row.token}")
    except Exception:  # noqa: BLE001 - logged; the resident sees the same answer and may ask again
        logger.exception("one-time code %s could not be sent", row.token)
        return False
    return True


def _code_check(*, token: uuid.UUID | str | None, purpose: str, code: str, now: datetime.datetime) -> OneTimeCode:
    """The code row if `code` opens it (not yet spent: `_code_spend` does that once the rest of the
    step is valid); else ValidationError with the reason.

    A wrong code counts as an attempt even though the error rolls nothing back: the count is saved
    before the error is raised.
    """
    problem = None
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update().filter(token=token, purpose=purpose).first()
            if _is_uuid(token)
            else None
        )
        if row is None:
            problem = ValidationError(_("This code is no longer valid. Please ask for a new one."), code="unknown")
        elif row.used_at is not None:
            problem = ValidationError(_("This code has already been used. Please ask for a new one."), code="used")
        elif row.expires_at <= now:
            problem = ValidationError(_("The code has expired. Please ask for a new one."), code="expired")
        elif row.attempts >= settings.PORTAL_CODE_MAX_ATTEMPTS:
            problem = ValidationError(_("Too many wrong codes. Please ask for a new one."), code="attempts")
        elif row.person_id is None or not hmac.compare_digest(row.code_hash, _hash(row.token, code.strip())):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = settings.PORTAL_CODE_MAX_ATTEMPTS - row.attempts
            if left > 0:
                problem = ValidationError(
                    _("The code is wrong. Attempts left: %(left)d.") % {"left": left},
                    code="wrong",
                )
            else:
                problem = ValidationError(_("Too many wrong codes. Please ask for a new one."), code="attempts")
    if problem is not None:
        raise problem
    assert row is not None
    return row


def _code_spend(row: OneTimeCode, *, now: datetime.datetime) -> None:
    """Mark a checked code used, inside the caller's transaction; refused if another request spent
    it since the check."""
    if OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) != 1:
        raise ValidationError(_("This code has already been used. Please ask for a new one."), code="used")


def _is_uuid(value: Any) -> bool:
    if isinstance(value, uuid.UUID):
        return True
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError):
        return False
    return True


def code_resend(*, token: uuid.UUID | str | None, now: datetime.datetime | None = None) -> uuid.UUID:
    """A new code to the same phone for the same purpose (throttled); the old one stops working.

    Returns the new token. Raises ValidationError when the old token is unknown or when throttled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = OneTimeCode.objects.select_for_update().filter(token=token).first() if _is_uuid(token) else None
        if row is None or row.used_at is not None:
            raise ValidationError(_("Start again: enter your details to receive a code."), code="unknown")
        new_token = _code_issue(person=row.person, phone=row.phone, purpose=row.purpose, now=now)
        row.attempts = max(row.attempts, settings.PORTAL_CODE_MAX_ATTEMPTS)
        row.save(update_fields=["attempts"])
    return new_token


def code_phone_masked(*, token: uuid.UUID | str | None) -> str:
    """The phone a code went to, masked (138****5678), for the confirm page; "" for an unknown token."""
    row = OneTimeCode.objects.filter(token=token).only("phone").first() if _is_uuid(token) else None
    return mask_phone(row.phone) if row is not None else ""


# --- registration -------------------------------------------------------------------------------


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


@transaction.atomic
def account_register_start(*, id_number: str, name: str, phone: str, now: datetime.datetime | None = None) -> uuid.UUID:
    """Step 1 of registration: send a code to `phone` if ID number, name and phone match a person of
    the register who has no account yet. The answer (a token) is the same either way.

    Raises ValidationError for an ID number that is not valid (checksum, birth date...) and when the
    phone was sent codes too recently or too often.
    """
    now = now or timezone.now()
    number = parse_id_number(id_number, today=timezone.localdate(now)).number
    phone = phone.strip()
    person = Person.objects.filter(id_number=number, user__isnull=True).first()
    taken = get_user_model().objects.filter(username=number).exists()
    if person is None or taken or not person.phone or person.phone != phone or not _same_name(person.name, name):
        person = None
    return _code_issue(person=person, phone=phone, purpose=CodePurpose.REGISTER, now=now)


def account_register_confirm(
    *, token: uuid.UUID | str | None, code: str, password: str, now: datetime.datetime | None = None
) -> AbstractBaseUser:
    """Step 2: the code opens the account (user name = the ID number) linked to the person.

    Raises ValidationError (code wrong, expired, too many attempts; then password too weak); nothing
    is written then except the count of attempts.
    """
    now = now or timezone.now()
    user_model = get_user_model()
    # The code first: the password's checks (too similar to the user name, the ID number) would
    # otherwise tell a match from a decoy. A weak password then does not spend the code.
    row = _code_check(token=token, purpose=CodePurpose.REGISTER, code=code, now=now)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=row.person_id)
        validate_password(password, user=user_model(username=person.id_number, first_name=person.name))
        _code_spend(row, now=now)
        if person.user_id is not None or user_model.objects.filter(username=person.id_number).exists():
            raise ValidationError(
                _("An account already exists for this person. Sign in, or reset the password."), code="exists"
            )
        user = user_model(username=person.id_number, first_name=person.name[:150])
        user.set_password(password)
        user.save()
        person.user = user
        person.save(update_fields=["user"])
    logger.info("portal account opened for person %s", person.pk)
    return user


# --- password reset -----------------------------------------------------------------------------


@transaction.atomic
def password_reset_start(*, id_number: str, phone: str, now: datetime.datetime | None = None) -> uuid.UUID:
    """Send a code to `phone` if it is the phone of the register of the person with an account of
    that ID number; the answer is the same either way."""
    now = now or timezone.now()
    number = parse_id_number(id_number, today=timezone.localdate(now)).number
    phone = phone.strip()
    person = Person.objects.filter(id_number=number, user__isnull=False, user__is_active=True).first()
    if person is None or person.phone != phone:
        person = None
    return _code_issue(person=person, phone=phone, purpose=CodePurpose.PASSWORD_RESET, now=now)


def password_reset_confirm(
    *, token: uuid.UUID | str | None, code: str, password: str, now: datetime.datetime | None = None
) -> AbstractBaseUser:
    """The code sets a new password; the sign-in lockout of the account is lifted (the resident has
    just proved they hold the phone)."""
    from axes.utils import reset as axes_reset

    now = now or timezone.now()
    # The code first, then the password (see `account_register_confirm`).
    row = _code_check(token=token, purpose=CodePurpose.PASSWORD_RESET, code=code, now=now)
    with transaction.atomic():
        person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=row.person_id)
        user = person.user
        if user is None or not user.is_active:
            raise ValidationError(_("This account is closed. Please contact the service hall."), code="inactive")
        validate_password(password, user=user)
        _code_spend(row, now=now)
        user.set_password(password)
        user.save(update_fields=["password"])
    axes_reset(username=user.get_username())
    logger.info("portal password reset for person %s", person.pk)
    return user


# --- children -----------------------------------------------------------------------------------


class ChildLinkOutcome:
    LINKED = "linked"
    NEWBORN_CASE = "newborn_case"


@dataclass(frozen=True)
class ChildLink:
    outcome: str
    name: str
    # The linked child; None for a newborn registration (the person is created when it is approved).
    child: Person | None = None
    case: Case | None = None


def _age_years(born: datetime.date, on: datetime.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _not_linked_error() -> ValidationError:
    return ValidationError(
        _(
            "No child with this ID number and name is recorded with you as parent or guardian. "
            "The relation must be confirmed by a clerk: bring the household register (户口簿) to the service hall. "
            "If the child is a newborn not yet in the register, also enter the birth certificate number."
        ),
        code="not_linked",
    )


def child_link(
    *,
    guardian: Person,
    user: AbstractBaseUser,
    id_number: str,
    name: str,
    birth_certificate_number: str = "",
    today: datetime.date | None = None,
) -> ChildLink:
    """A parent or guardian adds a child to their account.

    - The child is in the register with the guardian recorded as parent or guardian (FamilyRelation):
      the child is theirs to manage at once (`access.persons_of` reads the same relation).
    - Otherwise, with a birth certificate number (a newborn registration): a special-group "newborn"
      case is opened and submitted for the guardian's household region, carrying the child's ID
      number and name; nothing enters the register. A clerk checks the birth certificate, the
      household register and the parent's ID card; only the approval registers the child, records
      the parent and enrols the child, so until then the child is not linked. The case and the answer
      are the same whether the ID number is registered or not (issue 16, finding 7): the clerk sees it
      on the case page, and the approval does not register anyone twice.
    - Anything else: the same refusal, whether the child exists or not.
    """
    today = today or timezone.localdate()
    parsed = parse_id_number(id_number, today=today)
    number = parsed.number
    if _age_years(parsed.birth_date, today) >= ADULT_AGE:
        raise ValidationError(
            _("Only children under %(age)d can be added; an adult registers their own account.") % {"age": ADULT_AGE},
            code="adult",
        )
    if parsed.birth_date <= guardian.birth_date:
        raise ValidationError(_("The child must be born after you."), code="birth_order")
    if normalize_id_number(birth_certificate_number):
        # A newborn registration: its checks come before the register is looked at, so that they
        # answer alike whether the ID number is registered or not.
        _newborn_name_check(name)
        _newborn_limit_check(user=user, today=today)
    child = Person.objects.filter(id_number=number).first()
    if child is not None:
        linked = FamilyRelation.objects.filter(person=child, relative=guardian, kind__in=GUARDIAN_KINDS).exists()
        if linked and _same_name(child.name, name):
            return ChildLink(outcome=ChildLinkOutcome.LINKED, name=child.name, child=child)
    certificate = normalize_id_number(birth_certificate_number)
    if not certificate:
        raise _not_linked_error()
    # From here on the register is not asked again: a registered child the guardian is not recorded
    # for gets the same newborn registration as an unregistered one.
    if (today - parsed.birth_date).days > NEWBORN_MAX_DAYS:
        raise ValidationError(
            _(
                "Newborns can be registered here in their first year. For an older child not yet in the register, "
                "please come to the service hall with the household register."
            ),
            code="too_old",
        )
    return _newborn_register(guardian=guardian, user=user, id_number=number, name=name, certificate=certificate)


# A name as the household register writes it: 2 to 30 letters (Chinese characters, or Latin ones),
# parts of an ethnic-minority name joined by a middle dot; no digits, spaces, quotes or markup.
NEWBORN_NAME = re.compile(r"[^\W\d_]+(?:[·・][^\W\d_]+)*")
NEWBORN_NAME_LENGTH = (2, 30)
# Newborn registrations one account may ask for on one day (twins and triplets fit).
NEWBORN_REGISTRATIONS_PER_DAY = 3


def _newborn_name_check(name: str) -> None:
    name = name.strip()
    low, high = NEWBORN_NAME_LENGTH
    if not (low <= len(name) <= high and NEWBORN_NAME.fullmatch(name)):
        raise ValidationError(
            _(
                "Enter the child's name as in the household register: 2 to 30 characters, without digits, "
                "spaces or punctuation (a middle dot · may join the parts of a name)."
            ),
            code="name_invalid",
        )


def _newborn_limit_check(*, user: AbstractBaseUser, today: datetime.date) -> None:
    asked = Case.objects.filter(
        opened_by=user, kind=CaseKind.SPECIAL_GROUP, details__group=NEWBORN, created_at__date=today
    ).count()
    if asked >= NEWBORN_REGISTRATIONS_PER_DAY:
        raise ValidationError(
            _(
                "Too many newborn registrations were asked from this account today. Please try again tomorrow, "
                "or come to the service hall with the household register."
            ),
            code="throttled",
        )


def _newborn_register(
    *, guardian: Person, user: AbstractBaseUser, id_number: str, name: str, certificate: str
) -> ChildLink:
    # `cases.case_apply` refuses a person the account may not yet act for, and a newborn is linked
    # only by the approval; the case is opened without a person, which the approval registers.
    from enrollment import cases

    case = cases.newborn_registration_open(
        guardian=guardian,
        id_number=id_number,
        name=name.strip(),
        evidence=f"{BIRTH_CERTIFICATE_LABEL} {certificate}",
        by=user,
    )
    logger.info("newborn registration case %s opened from the portal", case.pk)
    return ChildLink(outcome=ChildLinkOutcome.NEWBORN_CASE, name=case.details["child_name"], case=case)


def newborn_cases_of(*, user: AbstractBaseUser) -> list[Case]:
    """The newborn registrations this account asked for, newest first (shown until approved)."""
    return list(
        Case.objects.filter(opened_by=user, kind=CaseKind.SPECIAL_GROUP, details__group=NEWBORN)
        .select_related("person")
        .order_by("-created_at")
    )

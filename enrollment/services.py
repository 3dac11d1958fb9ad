"""Writes to the register. Each service validates completely, then writes inside one transaction."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from enrollment.identity import ResidentId, parse_id_number
from enrollment.models import (
    Enrollment,
    EnrollmentStatus,
    EventKind,
    FamilyRelation,
    Person,
    PersonEvent,
    PremiumCategory,
    Region,
    RelationKind,
    Scheme,
)
from enrollment.selectors import enrollment_overlapping


def person_apply_id_number(*, person: Person, today: datetime.date) -> ResidentId:
    """Normalise the ID number and store the birth date and gender it encodes."""
    resident_id = parse_id_number(person.id_number, today=today)
    person.id_number = resident_id.number
    person.birth_date = resident_id.birth_date
    person.gender = resident_id.gender
    return resident_id


def person_save(*, person: Person, today: datetime.date) -> ResidentId:
    """Validate and store a new or changed person; returns the parsed ID (with any area-code warning)."""
    try:
        resident_id = person_apply_id_number(person=person, today=today)
    except ValidationError as error:
        raise ValidationError({"id_number": error.error_list}) from None
    person.full_clean()
    with transaction.atomic():
        person.save()
    return resident_id


def person_register(
    *,
    id_number: str,
    name: str,
    household_region: Region,
    today: datetime.date,
    phone: str = "",
    category: str = PremiumCategory.ORDINARY,
) -> Person:
    person = Person(
        id_number=id_number, name=name.strip(), household_region=household_region, phone=phone, category=category
    )
    person_save(person=person, today=today)
    return person


def enrollment_validate(*, enrollment: Enrollment) -> None:
    """Field, constraint and overlap checks, so that bad input is refused before anything is written."""
    enrollment.full_clean()
    if enrollment.person_id and enrollment.start_date:
        overlapping = enrollment_overlapping(
            person_id=enrollment.person_id,
            scheme=enrollment.scheme,
            start_date=enrollment.start_date,
            end_date=enrollment.end_date,
            exclude_pk=enrollment.pk,
        ).first()
        if overlapping is not None:
            raise ValidationError(
                _("This enrolment overlaps another enrolment of the same person in the same scheme (%(other)s).")
                % {"other": overlapping}
            )


def enrollment_create(
    *,
    person: Person,
    scheme: str,
    region: Region,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    status: str = EnrollmentStatus.ACTIVE,
    employer_name: str = "",
    note: str = "",
) -> Enrollment:
    enrollment = Enrollment(
        person=person,
        scheme=scheme,
        region=region,
        start_date=start_date,
        end_date=end_date,
        status=status,
        employer_name=employer_name if scheme == Scheme.EMPLOYEE_UNIT else "",
        note=note,
    )
    enrollment_validate(enrollment=enrollment)
    with transaction.atomic():
        enrollment.save()
    return enrollment


def person_event_validate(*, event: PersonEvent, today: datetime.date) -> None:
    event.full_clean()
    if event.date > today:
        raise ValidationError({"date": _("An event cannot be dated in the future.")})
    if event.date < event.person.birth_date:
        raise ValidationError({"date": _("The event date is before the person's birth date.")})


def person_event_record(
    *,
    person: Person,
    kind: str,
    date: datetime.date,
    evidence: str,
    today: datetime.date,
    related_person: Person | None = None,
    recorded_by: AbstractBaseUser | None = None,
) -> PersonEvent:
    if kind not in EventKind.values:
        raise ValidationError({"kind": _("Unknown event kind: %(kind)s") % {"kind": kind}})
    event = PersonEvent(
        person=person,
        kind=kind,
        date=date,
        evidence=evidence.strip(),
        related_person=related_person,
        recorded_by=recorded_by,
    )
    person_event_validate(event=event, today=today)
    with transaction.atomic():
        event.save()
    return event


def family_relation_validate(*, relation: FamilyRelation) -> None:
    relation.full_clean()
    if relation.kind == RelationKind.PARENT and relation.relative.birth_date >= relation.person.birth_date:
        raise ValidationError({"relative": _("A parent must be born before the child.")})


def family_relation_add(*, person: Person, relative: Person, kind: str) -> FamilyRelation:
    relation = FamilyRelation(person=person, relative=relative, kind=kind)
    family_relation_validate(relation=relation)
    with transaction.atomic():
        relation.save()
    return relation

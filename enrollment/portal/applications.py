"""Applications in the portal (办事): the resident's cases, read and pre-checked.

Writes go through `enrollment.cases.case_apply` / `case_answer`; the reads here are always limited
to the persons the account may act for (`access.persons_of`), so another person's case is a 404.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.cases import CaseQuote, _as_date, case_details_clean, case_quote
from enrollment.checklists import CHECKLISTS, DocumentSpec, checklist_for
from enrollment.models import Case, CaseDocument, CaseKind, CaseState, CaseTransition, Enrollment, Person
from enrollment.portal.access import persons_of

# What a resident can apply for here (issue 7 item 5); the other kinds are handled at the hall.
APPLY_KINDS: tuple[str, ...] = (
    CaseKind.FLEXIBLE_ENROLMENT,
    CaseKind.BACK_PAYMENT,
    CaseKind.SCHEME_SWITCH,
    CaseKind.SPECIAL_GROUP,
)


def applications_of(*, user: Any) -> QuerySet[Case]:
    """Every case of the persons the account may act for, newest first."""
    return (
        Case.objects.filter(person__in=persons_of(user).values("pk"))
        .select_related("person", "region")
        .order_by("-created_at", "-pk")
    )


def application_for(request: HttpRequest, case_id: int) -> Case:
    """One of the account's cases; any other id is answered as if it did not exist."""
    case = applications_of(user=request.user).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def application_document_for(request: HttpRequest, case_id: int, document_id: int) -> CaseDocument:
    """A scan of one of the account's cases (404 for anything else, or a line without a file)."""
    case = application_for(request, case_id)
    document = CaseDocument.objects.filter(case=case, pk=document_id).exclude(file="").first()
    if document is None:
        raise Http404
    return document


def information_request(*, case: Case) -> CaseTransition | None:
    """The clerk's latest request for information while the case waits for the resident."""
    if case.state != CaseState.NEEDS_INFORMATION:
        return None
    return case.transitions.filter(action="request_information").order_by("-at", "-pk").first()


def application_history(*, case: Case) -> list[CaseTransition]:
    """What happened to the case, as the resident may see it (assignments between clerks are internal)."""
    return list(case.transitions.exclude(action__in=["assign", "update"]).order_by("at", "pk"))


def documents_possible(*, kind: str) -> list[DocumentSpec]:
    """Every document a case of `kind` may call for (the form offers an upload for each)."""
    return list(CHECKLISTS[kind])


def documents_needed(*, kind: str, details: dict[str, Any], person: Person) -> list[DocumentSpec]:
    return checklist_for(kind=kind, details=details, person=person)


@dataclass(frozen=True)
class Precheck:
    """What the approval's rules would say about the application today, before it is submitted."""

    refused: bool
    message: str
    rule_ids: tuple[str, ...] = ()
    code: str = ""
    quote: CaseQuote | None = None
    lines: list[Any] = field(default_factory=list)
    # True when no amount could be worked out (no policy yet): said, but not a refusal.
    unquoted: bool = False


def application_precheck(*, person: Person, kind: str, details: dict[str, Any]) -> Precheck | None:
    """Run the checks approval would run on these details (the details check, the premium quote with
    its rule codes, a switch into the scheme already held), without writing anything.

    None when there is nothing to say; a Precheck with `refused` when the rules refuse.
    """
    try:
        clean = case_details_clean(kind=kind, details=details, person=person, region=person.household_region)
    except ValidationError:
        return None  # the form shows those errors field by field
    if kind == CaseKind.SCHEME_SWITCH:
        start = _as_date(clean.get("start_date"))
        held = Enrollment.objects.filter(person=person, scheme=clean["scheme"], end_date__isnull=True)
        if start is not None and held.exists():
            return Precheck(True, _("You are already enrolled in this scheme; there is nothing to switch."))
        return None
    today = timezone.localdate()
    quote = case_quote(case=Case(person=person, region=person.household_region, kind=kind, details=clean), on=today)
    if quote is None:
        return None
    result = quote.quote.result if quote.quote is not None else None
    rule_ids = tuple(result.reasons) if result is not None else ()
    code = (quote.quote.rejection_code or "") if quote.quote is not None else ""
    if quote.quote is None:
        # No quote at all (e.g. next year's policy is not configured yet): not a rule refusal, so the
        # application may go ahead; the clerk quotes it when the policy is there.
        return Precheck(False, quote.explanation, (), "", quote, unquoted=True)
    if not quote.accepted:
        return Precheck(True, quote.explanation, rule_ids, code, quote)
    lines = list(quote.quote.lines) if quote.quote is not None else []
    return Precheck(False, quote.explanation, rule_ids, code, quote, lines)


def default_details(*, kind: str, today: datetime.date) -> dict[str, Any]:
    """What the form starts with: flexible-worker enrolment and a switch from the first of this month."""
    if kind in (CaseKind.FLEXIBLE_ENROLMENT, CaseKind.SCHEME_SWITCH):
        return {"start_date": today.replace(day=1).isoformat()}
    return {}

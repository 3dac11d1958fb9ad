"""Portal pages of applications (办事): thin views over `enrollment.portal.applications` (reads) and
`enrollment.cases.case_apply` / `case_answer` (writes). Every page is limited to the account's persons."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from enrollment import cases
from enrollment.cases import case_answer, case_apply
from enrollment.checklists import document_label
from enrollment.models import CaseKind, CaseState
from enrollment.portal import applications
from enrollment.portal.access import person_for, persons_of, resident_required
from enrollment.portal.applications_forms import DOC_PREFIX, FORMS, AnswerForm, ApplicationForm

# What each kind is for, in the resident's words (the "choose" page).
KIND_HELP = {
    CaseKind.FLEXIBLE_ENROLMENT: gettext_lazy(
        "Self-employed, freelance or between jobs: join employee medical insurance as a flexible worker."
    ),
    CaseKind.BACK_PAYMENT: gettext_lazy("Pay for months missed after employee insurance stopped, to keep continuity."),
    CaseKind.SCHEME_SWITCH: gettext_lazy("Move between resident insurance and employee insurance."),
    CaseKind.SPECIAL_GROUP: gettext_lazy(
        "A newborn, a discharge from the army, a return from abroad and other events that change your insurance."
    ),
}


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"portal_section": "applications", "portal_person": person_for(request), **extra}


def _persons(request: HttpRequest) -> list[Any]:
    own = person_for(request)
    others = [p for p in persons_of(request.user).select_related("household_region").order_by("pk") if p.pk != own.pk]
    return [own, *others]


@resident_required
def application_list(request: HttpRequest) -> HttpResponse:
    cases = list(applications.applications_of(user=request.user))
    waiting = [case for case in cases if case.state == CaseState.NEEDS_INFORMATION]
    return render(request, "portal/applications/list.html", _context(request, cases=cases, waiting=waiting))


@resident_required
def application_new(request: HttpRequest) -> HttpResponse:
    kinds = [(kind, CaseKind(kind).label, KIND_HELP[kind]) for kind in applications.APPLY_KINDS]
    return render(request, "portal/applications/new.html", _context(request, kinds=kinds))


def _form_page(request: HttpRequest, form: ApplicationForm, precheck: Any = None, status: int = 200) -> HttpResponse:
    kind = form.kind
    return render(
        request,
        "portal/applications/form.html",
        _context(
            request,
            form=form,
            kind=kind,
            kind_label=CaseKind(kind).label,
            kind_help=KIND_HELP[kind],
            precheck=precheck,
            checklist_map=form.checklist_map(),
            max_mb=f"{settings.CASE_DOCUMENT_MAX_BYTES / 1048576:g}",
        ),
        status=status,
    )


@resident_required
@require_http_methods(["GET", "POST"])
def application_form(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in FORMS:
        raise Http404
    form_class = FORMS[kind]
    persons = _persons(request)
    if request.method == "GET":
        initial = {"person": persons[0].pk, **applications.default_details(kind=kind, today=timezone.localdate())}
        form = form_class(initial=initial, persons=persons)
        # The rule check is shown as soon as the page opens, for the defaults (e.g. a flexible-worker
        # enrolment in a year already paid as a resident), so nobody fills in a form in vain.
        precheck = applications.application_precheck(person=persons[0], kind=kind, details=initial)
        return _form_page(request, form, precheck if precheck is not None and precheck.refused else None)

    form = form_class(request.POST, request.FILES, persons=persons)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    person = form.selected_person()
    precheck = applications.application_precheck(person=person, kind=kind, details=form.details())
    if "check" in request.POST or (precheck is not None and precheck.refused):
        # Only checking, or the rules refuse: nothing is written, and what was typed stays.
        return _form_page(request, form, precheck, status=200 if "check" in request.POST else 400)
    try:
        case = case_apply(person=person, kind=kind, details=form.details(), by=request.user, uploads=form.uploads())
    except ValidationError as error:
        _errors_onto(form, error)
        return _form_page(request, form, status=400)
    messages.success(
        request,
        _("Your application #%(id)s is submitted. We answer by %(date)s.")
        % {"id": case.pk, "date": case.due_on.isoformat() if case.due_on else "—"},
    )
    return redirect("portal:application_detail", case_id=case.pk)


def _errors_onto(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            target = name if name in form.fields else DOC_PREFIX + name if DOC_PREFIX + name in form.fields else None
            form.add_error(target, messages_)
    else:
        form.add_error(None, error.messages)


def _answer_form(case: Any, data: Any = None, files: Any = None) -> AnswerForm:
    codes = [(doc.code, document_label(doc.code)) for doc in case.documents.all()]
    return AnswerForm(data, files, codes=codes)


def _detail_page(
    request: HttpRequest, case: Any, answer_form: AnswerForm | None, status: int = 200, refusal: str = ""
) -> HttpResponse:
    request_ = applications.information_request(case=case)
    if answer_form is None and request_ is not None:
        answer_form = _answer_form(case)
    return render(
        request,
        "portal/applications/detail.html",
        _context(
            request,
            case=case,
            documents=list(case.documents.all()),
            history=applications.application_history(case=case),
            information_request=request_,
            answer_form=answer_form if request_ is not None else None,
            refusal=refusal,
        ),
        status=status,
    )


@resident_required
def application_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = applications.application_for(request, case_id)
    return _detail_page(request, case, None)


@resident_required
@require_http_methods(["GET", "POST"])
def application_answer(request: HttpRequest, case_id: int) -> HttpResponse:
    case = applications.application_for(request, case_id)
    if request.method == "GET":
        return redirect("portal:application_detail", case_id=case.pk)
    if applications.information_request(case=case) is None:
        refusal = _("This application is %(state)s; it is not waiting for an answer from you.") % {
            "state": case.get_state_display()
        }
        return _detail_page(request, case, None, status=400, refusal=refusal)
    form = _answer_form(case, request.POST, request.FILES)
    if not form.is_valid():
        return _detail_page(request, case, form, status=400)
    try:
        case_answer(case=case, by=request.user, message=form.cleaned_data["message"], uploads=form.uploads())
    except ValidationError as error:
        _errors_onto(form, error)
        return _detail_page(request, case, form, status=400)
    messages.success(request, _("Thank you: your answer is sent and the clerk continues with your application."))
    return redirect("portal:application_detail", case_id=case.pk)


@resident_required
def application_document(request: HttpRequest, case_id: int, document_id: int) -> HttpResponse:
    """A scan of the resident's own case, only through this checked view (never a public URL)."""
    document = applications.application_document_for(request, case_id, document_id)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=cases.document_download_name(document),
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

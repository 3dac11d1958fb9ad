"""Account pages of the resident portal: thin views over `enrollment.portal.accounts`.

The token of a pending code lives in the session only (never in a URL), so a page can only act on
the code this browser asked for. Every page is personal or security-relevant: never cached.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from enrollment.portal import accounts
from enrollment.portal.access import person_for, persons_of, resident_required
from enrollment.portal.accounts_forms import (
    ChildAddForm,
    NewPasswordForm,
    PortalLoginForm,
    RegisterStartForm,
    ResetStartForm,
)

REGISTER_TOKEN = "portal_register_token"
RESET_TOKEN = "portal_reset_token"
# Accounts are opened and reset by a code, not by the password backends' `authenticate`.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _add_errors(form: Form, error: ValidationError) -> None:
    """A service's refusal onto the form: by field when it names fields the form has, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _account_context(**extra: Any) -> dict[str, Any]:
    return {"portal_section": "account", **extra}


@method_decorator(never_cache, name="dispatch")
class PortalLoginView(auth_views.LoginView):
    template_name = "portal/accounts/login.html"
    authentication_form = PortalLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("portal:dashboard")


class PortalLogoutView(auth_views.LogoutView):
    next_page = "portal:login"


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in (portal and clerk admin alike)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0
    context = {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT, "portal_section": "account"}
    return render(request, "portal/accounts/locked_out.html", context, status=429)


@never_cache
@resident_required
def account(request: HttpRequest) -> HttpResponse:
    person = person_for(request)
    children = persons_of(request.user).exclude(pk=person.pk).order_by("birth_date", "pk")
    return render(
        request,
        "portal/accounts/account.html",
        _account_context(portal_person=person, person=person, children=children),
    )


@never_cache
@sensitive_post_parameters("id_number", "name", "phone")
def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:account")
    form = RegisterStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token = accounts.account_register_start(
                id_number=form.cleaned_data["id_number"],
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            request.session[REGISTER_TOKEN] = str(token)
            return redirect("portal:register_confirm")
    return render(request, "portal/accounts/register.html", _account_context(form=form))


def _code_page(
    request: HttpRequest, *, session_key: str, confirm: Any, template: str, start_url: str, done_message: str
) -> HttpResponse:
    """The second step of registration and of password reset: type the code and a new password
    (the resident is then signed in), or ask for a new code."""
    token = request.session.get(session_key)
    if not token:
        messages.info(request, _("Start again: enter your details to receive a code."))
        return redirect(start_url)
    resend = request.method == "POST" and "resend" in request.POST
    form = NewPasswordForm(request.POST if request.method == "POST" and not resend else None)
    resend_errors: list[str] = []
    if resend:
        try:
            request.session[session_key] = str(accounts.code_resend(token=token))
        except ValidationError as error:
            resend_errors = error.messages
        else:
            messages.success(request, _("A new code has been sent. The earlier code no longer works."))
            return redirect(request.path)
    elif request.method == "POST" and form.is_valid():
        try:
            user = confirm(token=token, code=form.cleaned_data["code"], password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            del request.session[session_key]
            login(request, user, backend=LOGIN_BACKEND)
            messages.success(request, done_message)
            return redirect("portal:dashboard")
    context = _account_context(
        form=form,
        phone=accounts.code_phone_masked(token=token),
        start_url=start_url,
        resend_errors=resend_errors,
        code_minutes=settings.PORTAL_CODE_TTL_MINUTES,
    )
    return render(request, template, context)


@never_cache
@sensitive_post_parameters("code", "new_password1", "new_password2")
def register_confirm(request: HttpRequest) -> HttpResponse:
    return _code_page(
        request,
        session_key=REGISTER_TOKEN,
        confirm=accounts.account_register_confirm,
        template="portal/accounts/register_confirm.html",
        start_url=reverse("portal:register"),
        done_message=_("Your account is open. Welcome!"),
    )


@never_cache
@sensitive_post_parameters("id_number", "phone")
def password_reset(request: HttpRequest) -> HttpResponse:
    form = ResetStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token = accounts.password_reset_start(
                id_number=form.cleaned_data["id_number"], phone=form.cleaned_data["phone"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            request.session[RESET_TOKEN] = str(token)
            return redirect("portal:password_reset_confirm")
    return render(request, "portal/accounts/password_reset.html", _account_context(form=form))


@never_cache
@sensitive_post_parameters("code", "new_password1", "new_password2")
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    return _code_page(
        request,
        session_key=RESET_TOKEN,
        confirm=accounts.password_reset_confirm,
        template="portal/accounts/password_reset_confirm.html",
        start_url=reverse("portal:password_reset"),
        done_message=_("Your password has been changed, and you are signed in."),
    )


@never_cache
@sensitive_post_parameters()
@resident_required
def password_change(request: HttpRequest) -> HttpResponse:
    person = person_for(request)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("portal:account")
    return render(request, "portal/accounts/password_change.html", _account_context(form=form, portal_person=person))


@never_cache
@resident_required
def children(request: HttpRequest) -> HttpResponse:
    guardian = person_for(request)
    form = ChildAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = accounts.child_link(
                guardian=guardian,
                user=request.user,
                id_number=form.cleaned_data["id_number"],
                name=form.cleaned_data["name"],
                birth_certificate_number=form.cleaned_data["birth_certificate_number"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if link.outcome == accounts.ChildLinkOutcome.LINKED:
                messages.success(
                    request,
                    _("%(name)s is linked to your account; choose them on the coverage pages.") % {"name": link.name},
                )
            else:
                messages.success(
                    request,
                    _(
                        "The newborn registration of %(name)s has been sent to the service hall "
                        "(application no. %(case)s). A clerk must see the birth certificate, the household register "
                        "and your ID card: bring them to the service hall. The child appears here once the "
                        "registration is approved."
                    )
                    % {"name": link.name, "case": link.case.pk if link.case else ""},
                )
            return HttpResponseRedirect(reverse("portal:children"))
    context = _account_context(
        form=form,
        portal_person=guardian,
        children=persons_of(request.user).exclude(pk=guardian.pk).order_by("birth_date", "pk"),
        newborn_cases=accounts.newborn_cases_of(user=request.user),
    )
    return render(request, "portal/accounts/children.html", context)

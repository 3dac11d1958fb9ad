"""Forms of the resident accounts: every field checked with a message in the resident's language; a
form shown again after an error keeps what was typed (passwords excepted, on purpose)."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.identity import normalize_id_number, parse_id_number
from enrollment.models import mobile_validator

code_validator = RegexValidator(r"^[0-9]{6}$", _("The code is the 6 digits of the text message."))
certificate_validator = RegexValidator(
    r"^[0-9A-Z]{6,20}$", _("A birth certificate number is 6 to 20 letters and digits, e.g. Q360123456.")
)


class IdNumberField(forms.CharField):
    """A resident ID number: normalised (full-width digits, lower-case x) and checked (length,
    birth date, check digit) with the register's own messages."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Resident ID number"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return value
        return parse_id_number(value, today=timezone.localdate()).number


class PhoneField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault("validators", [mobile_validator])
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"})


class CodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Code from the text message"))
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("validators", [code_validator])
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"})


class RegisterStartForm(forms.Form):
    id_number = IdNumberField()
    name = forms.CharField(label=_("Name"), max_length=60, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = PhoneField(help_text=_("The mobile number recorded for you at the insurance agency."))


class NewPasswordForm(forms.Form):
    """A code and a new password typed twice (registration and reset)."""

    code = CodeField()
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not only digits, not like your ID number."),
    )
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two passwords differ."))
        return data


class ResetStartForm(forms.Form):
    id_number = IdNumberField()
    phone = PhoneField(help_text=_("The mobile number recorded for you at the insurance agency."))


class PortalLoginForm(AuthenticationForm):
    """Sign-in with the ID number as user name (typed in any of the usual ways)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The ID number or the password is wrong."),
        "not_resident": _(
            "This account is not linked to an insured person. Staff members sign in at the clerk workspace."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Resident ID number")
        self.fields["username"].widget.attrs.update({"autocapitalize": "characters", "spellcheck": "false"})

    def clean_username(self) -> str:
        value = self.cleaned_data.get("username", "")
        number = normalize_id_number(value)
        # Resident accounts are named by the ID number; any other name is left as typed.
        return number if len(number) == 18 and number[:17].isdigit() else value

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "insured_person", None) is None:
            raise ValidationError(self.error_messages["not_resident"], code="not_resident")


class ChildAddForm(forms.Form):
    id_number = IdNumberField(label=_("Child's resident ID number"))
    name = forms.CharField(label=_("Child's name"), max_length=60)
    birth_certificate_number = forms.CharField(
        label=_("Birth certificate number (newborns only)"),
        max_length=40,
        required=False,
        help_text=_(
            "Printed on the Medical Birth Certificate (出生医学证明). Only for a newborn not yet in the register."
        ),
    )

    def clean_birth_certificate_number(self) -> str:
        value = normalize_id_number(self.cleaned_data.get("birth_certificate_number", ""))
        if value:
            certificate_validator(value)
        return value

"""The supervisor's policy profile form: one field per parameter, in the groups of RULES.md section 12.

Dates are date fields, money amounts, shares decimals, options lists; each with its label, unit and
help text (`payments.policy_parameters`). A group is configured as a whole or not at all (a tick
box per group). The form runs the loader's validation (`payments.policy`) and the checks of the
coverage year (`payments.policy_years`): a window outside its year is refused when saved, not
discovered when residents cannot pay. Nothing here writes.
"""

import datetime
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eligibility.rules.profile import GROUPS
from payments.models import PolicyProfile, PolicyScope
from payments.policy import policy_params_check, policy_profile_build, policy_tiers_check
from payments.policy_parameters import GROUP_TITLES, Kind, Parameter, parameters_of
from payments.policy_years import policy_year_findings

# Which parameter groups the payments of a scope read (a missing group would only be found when a
# payment is quoted, as an error the clerk at the counter cannot do anything about).
SCOPE_GROUPS = {
    PolicyScope.RESIDENT: ("resident", "exemptions", "employee"),
    PolicyScope.EMPLOYEE: ("employee",),
}


def field_name(parameter: str) -> str:
    """A form field's name for a dotted parameter name (dots are awkward in templates)."""
    return "p__" + parameter.replace(".", "__")


def group_field_name(group: str) -> str:
    return f"configures_{group}"


def _help(parameter: Parameter) -> str:
    unit = f" [{parameter.unit}]" if str(parameter.unit) else ""
    return f"{parameter.name}{unit} · {parameter.help}"


def _field_for(parameter: Parameter) -> forms.Field:
    common: dict[str, Any] = {"label": parameter.label, "required": False, "help_text": _help(parameter)}
    if parameter.kind == Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if parameter.kind == Kind.AMOUNT:
        return forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), **common)
    if parameter.kind == Kind.RATE:
        return forms.DecimalField(max_digits=7, decimal_places=5, min_value=Decimal("0"), **common)
    if parameter.kind in (Kind.COUNT, Kind.YEAR):
        return forms.IntegerField(min_value=0, max_value=9999, **common)
    if parameter.kind == Kind.CHOICE:
        choices = [("", "—")] + [(value, value) for value in parameter.choices or ()]
        return forms.ChoiceField(choices=choices, **common)
    # A yes/no question: a list, not a tick box, so that "not answered" cannot pass for "no".
    return forms.TypedChoiceField(
        choices=[("", "—"), ("true", _("yes")), ("false", _("no"))],
        coerce=lambda value: value == "true",
        empty_value=None,
        **common,
    )


def _form_value(parameter: Parameter, value: Any) -> Any:
    if value is None:
        return None
    if parameter.kind == Kind.FLAG:
        return "true" if value else "false"
    if parameter.kind == Kind.DATE and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def _stored_value(parameter: Parameter, value: Any) -> Any:
    """The value as profiles.json holds it: decimals and dates as strings, whole numbers, booleans."""
    if value is None or value == "":
        return None
    if parameter.kind == Kind.DATE:
        return value.isoformat()
    if parameter.kind == Kind.AMOUNT:
        return f"{value:.2f}"
    if parameter.kind == Kind.RATE:
        return format(value.normalize(), "f")
    return value


def tiers_from_text(text: str) -> list[str]:
    """Rate tiers typed as `0.045, 0.065` (or as a JSON list, as older screens and files have them)."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError:
            raise ValidationError(_("Rate tiers must be a list of rates.")) from None
        if not isinstance(values, list):
            raise ValidationError(_("Rate tiers must be a list of rates."))
        items = [str(value) for value in values]
    else:
        items = [item.strip() for item in text.replace("，", ",").split(",") if item.strip()]
    try:
        return [format(Decimal(item), "f") for item in items]
    except InvalidOperation:
        raise ValidationError(_("Rate tiers must be a list of rates.")) from None


class PolicyProfileAdminForm(forms.ModelForm):
    flexible_rate_tiers = forms.CharField(
        label=gettext_lazy("flexible-worker rate tiers"),
        required=False,
        help_text=gettext_lazy(
            "Rates a flexible worker may choose, separated by commas (e.g. 0.045, 0.065); empty: the profile rate."
        ),
    )

    class Meta:
        model = PolicyProfile
        fields = ["region", "scope", "coverage_year", "effective_from", "name", "title", "notes"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        params = self.instance.params if self.instance.pk and isinstance(self.instance.params, dict) else {}
        for group in GROUPS:
            configured = any(name.startswith(group + ".") for name in params)
            self.fields[group_field_name(group)] = forms.BooleanField(
                label=gettext_lazy("this profile sets these parameters"),
                required=False,
                initial=configured,
            )
            for parameter in parameters_of(group):
                self.fields[field_name(parameter.name)] = _field_for(parameter)
                if parameter.name in params:
                    self.initial[field_name(parameter.name)] = _form_value(parameter, params[parameter.name])
        if self.instance.pk:
            self.initial["flexible_rate_tiers"] = ", ".join(str(t) for t in self.instance.flexible_rate_tiers or [])

    @staticmethod
    def group_fieldsets() -> list[tuple[Any, dict[str, Any]]]:
        return [
            (
                GROUP_TITLES[group],
                {
                    "fields": [group_field_name(group), *[field_name(p.name) for p in parameters_of(group)]],
                    "classes": [f"policy-group policy-group-{group}"],
                },
            )
            for group in GROUPS
        ]

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for group in GROUPS:
            if not self.cleaned_data.get(group_field_name(group)):
                continue
            for parameter in parameters_of(group):
                value = self.cleaned_data.get(field_name(parameter.name))
                if (value is None or value == "") and not parameter.nullable:
                    self.add_error(
                        field_name(parameter.name),
                        _("%(parameter)s is needed: a group is set as a whole (empty only where it means none).")
                        % {"parameter": parameter.label},
                    )
                    continue
                params[parameter.name] = _stored_value(parameter, value)
        return params

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        params = self._params()
        name, year, scope = cleaned.get("name"), cleaned.get("coverage_year"), cleaned.get("scope")
        try:
            cleaned["flexible_rate_tiers"] = tiers_from_text(cleaned.get("flexible_rate_tiers") or "")
        except ValidationError as error:
            self.add_error("flexible_rate_tiers", error)
        if self.errors or not name or year is None:
            return cleaned  # the field errors say what is missing
        if scope in SCOPE_GROUPS:
            missing = [group for group in SCOPE_GROUPS[scope] if not any(n.startswith(group + ".") for n in params)]
            if missing:
                raise ValidationError(
                    _("A %(scope)s profile needs the %(groups)s parameters.")
                    % {"scope": PolicyScope(scope).label, "groups": ", ".join(f"{g}.*" for g in missing)}
                )
        # Every mistake at once, each naming its parameter; the rules builder's message is the last resort.
        problems: list[str] = []
        try:
            policy_params_check(params)
        except ValidationError as error:
            problems.extend(error.messages)
        findings = policy_year_findings(
            coverage_year=year, effective_from=cleaned.get("effective_from"), params=params, previous_params=None
        )
        problems.extend(message for message in findings.errors if message not in problems)
        if problems:
            raise ValidationError(problems)
        try:
            profile = policy_profile_build(name=name, coverage_year=year, params=params)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        try:
            rates = policy_tiers_check(profile=profile, tiers=cleaned.get("flexible_rate_tiers"))
        except ValidationError as error:
            self.add_error("flexible_rate_tiers", error)
        else:
            cleaned["flexible_rate_tiers"] = [str(rate) for rate in rates]
        cleaned["params"] = params
        return cleaned

    def save(self, commit: bool = True) -> PolicyProfile:
        self.instance.params = self.cleaned_data["params"]
        self.instance.flexible_rate_tiers = self.cleaned_data["flexible_rate_tiers"]
        return super().save(commit=commit)

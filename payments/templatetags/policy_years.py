"""`{% year_readiness as readiness %}`: what the coming year lacks, for the admin index and the policy list."""

from django import template
from django.utils import timezone

from payments.policy_years import YearReadiness, year_readiness

register = template.Library()


@register.simple_tag(takes_context=True)
def year_readiness_of_today(context: template.Context) -> YearReadiness | None:
    request = context.get("request")
    if request is None or not getattr(request.user, "is_staff", False):
        return None
    return year_readiness(as_of=timezone.localdate())

"""One sentence on a person's status, in the active language, for clerks and residents.

The rules' own explanation of the decision behind the status (stored with the decision) follows
it; this sentence only says where the person stands on the snapshot's day.
"""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eligibility.models import CoverageState, EligibilitySnapshot
from enrollment.models import Scheme


def _day(value: datetime.date | None) -> str:
    return "" if value is None else date_format(value, "DATE_FORMAT")


def status_sentence(snapshot: EligibilitySnapshot) -> str:
    scheme = Scheme(snapshot.scheme).label if snapshot.scheme else ""
    if snapshot.state == CoverageState.COVERED:
        if snapshot.benefit_end:
            return _("Covered by %(scheme)s from %(start)s until %(end)s.") % {
                "scheme": scheme,
                "start": _day(snapshot.benefits_from),
                "end": _day(snapshot.benefit_end),
            }
        return _("Covered by %(scheme)s from %(start)s.") % {"scheme": scheme, "start": _day(snapshot.benefits_from)}
    if snapshot.state == CoverageState.WAITING:
        return _("In the waiting period until %(end)s; benefits start on %(start)s.") % {
            "end": _day(snapshot.waiting_end),
            "start": _day(snapshot.benefits_from),
        }
    if snapshot.state == CoverageState.INTERRUPTED:
        return _("Payments interrupted: %(months)s whole months without cover so far.") % {
            "months": snapshot.gap_months or 0
        }
    if snapshot.benefits_from:
        return _("Not covered yet; benefits start on %(start)s.") % {"start": _day(snapshot.benefits_from)}
    return _("Not enrolled.")

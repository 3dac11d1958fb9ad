import datetime as dt

import pytest
from django.urls import reverse

from eligibility.rules import ResidentPayment
from eligibility.services import decision_record, eligibility_evaluate, eligibility_recompute
from payments.models import LedgerEntry
from tests.factories import TEST_PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def waiting_person(nanchang, policies):
    person = PersonFactory(household_region=nanchang, name="黄丽")
    LedgerEntry.objects.create(
        person=person, region=nanchang, scheme="resident", period=D(2024, 1, 1), paid_on=D(2023, 11, 1)
    )
    action = ResidentPayment(year=2025, paid_on=D(2025, 3, 1))
    result, profile_name = eligibility_evaluate(person_id=person.pk, action=action)
    decision_record(person=person, action=action, result=result, profile_name=profile_name)
    eligibility_recompute(person_id=person.pk, as_of=D(2025, 4, 1))
    return person


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password=TEST_PASSWORD)
    client.force_login(user)
    return client


def test_person_page_says_where_the_person_stands_and_why_in_chinese(superuser_client, waiting_person):
    response = superuser_client.get(reverse("admin:enrollment_person_change", args=[waiting_person.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "处于待遇等待期" in body and "2025年6月1日" in body


def test_person_page_in_english(superuser_client, waiting_person):
    superuser_client.cookies["django_language"] = "en"
    response = superuser_client.get(reverse("admin:enrollment_person_change", args=[waiting_person.pk]))
    assert "In the waiting period until" in response.content.decode()


def test_decisions_and_statuses_are_listed_but_cannot_be_edited(superuser_client, waiting_person):
    decisions = superuser_client.get(reverse("admin:eligibility_benefitdecision_changelist"))
    snapshots = superuser_client.get(
        reverse("admin:eligibility_eligibilitysnapshot_changelist"), {"q": waiting_person.id_number}
    )
    assert decisions.status_code == 200 and "黄丽" in decisions.content.decode()
    assert snapshots.status_code == 200 and "黄丽" in snapshots.content.decode()
    decision = waiting_person.benefit_decisions.get()
    change = superuser_client.post(reverse("admin:eligibility_benefitdecision_change", args=[decision.pk]), {})
    assert change.status_code == 403
    assert superuser_client.get(reverse("admin:payments_ledgerentry_add")).status_code == 403


def test_clerk_recomputes_selected_persons_from_the_person_list(client, clerk, nanchang, policies):
    from eligibility.models import EligibilitySnapshot

    first, second = PersonFactory(household_region=nanchang), PersonFactory(household_region=nanchang)
    client.force_login(clerk)

    response = client.post(
        reverse("admin:enrollment_person_changelist"),
        {"action": "recompute_eligibility", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert EligibilitySnapshot.objects.filter(person__in=[first, second]).count() == 2
    assert "2" in [m.message for m in response.context["messages"]][0]


def test_recompute_runs_are_listed_with_their_chunks(superuser_client, nanchang, policies):
    from eligibility.nightly import recompute_run_in_process, recompute_start

    PersonFactory(household_region=nanchang)
    run = recompute_run_in_process(recompute_start(as_of=D(2026, 3, 1), full=True, chunk_size=10, triggered_by="t"))

    listing = superuser_client.get(reverse("admin:eligibility_recomputerun_changelist"))
    detail = superuser_client.get(reverse("admin:eligibility_recomputerun_change", args=[run.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    assert str(run.chunks.get().first_person_id) in detail.content.decode()


def test_the_nightly_schedule_is_two_oclock_shanghai_time():
    from config.celery import app

    entry = app.conf.beat_schedule["nightly-eligibility-recompute"]
    assert entry["task"] == "eligibility.tasks.nightly_recompute"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {0}
    assert app.conf.timezone == "Asia/Shanghai"

"""Escalation per missed deadline (docs/rules.md "Complaint handling"): acceptance and answer, each once.

A complaint not accepted by its acceptance deadline is escalated once for it; one accepted in time but not answered
by its answer deadline is escalated once for that; one that misses both is escalated twice. Each step is claimed by a
conditional UPDATE, so that two workers at once escalate nothing twice. A department without a supervisor does not
swallow the escalation: the regulators of the complaint's district hear of it, and without one those of the city.
"""

import importlib
import threading
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from complaints.choices import EventKind, Status
from complaints.models import Complaint, ComplaintEvent
from complaints.services import complaint_submit, complaint_transition, complaints_escalate
from departments.choices import Category
from departments.models import Department
from notifications.models import Notification

from ..factories import ElevatorFactory, user_with_role

pytestmark = pytest.mark.django_db
SECOND = timedelta(seconds=1)


def submit(district, category=Category.CIVIL_WORKS) -> Complaint:
    """A complaint filed now about a lift of its own (so none merges into another); 住建局 (zjj) leads civil works,
    公安局 (gaj) vandalism."""
    elevator = ElevatorFactory(district=district)
    return complaint_submit(elevator=elevator, category=category, description="电梯井道渗水。")


def escalation_texts(complaint) -> list[str]:
    return list(
        ComplaintEvent.objects.filter(complaint=complaint, kind=EventKind.ESCALATION)
        .order_by("pk")
        .values_list("text", flat=True)
    )


def inbox(user) -> str:
    return "\n".join(Notification.objects.filter(recipient=user).values_list("body", flat=True))


@pytest.fixture
def zjj(world, plan):
    """住建局 with a supervisor; world's users include a 东区 district regulator and a city regulator."""
    supervisor = user_with_role(Role.DEPARTMENT, organization=plan["zjj"].organization, email="duban@example.cn")
    Department.objects.filter(pk=plan["zjj"].pk).update(supervisor=supervisor)
    return {**world, "plan": plan, "supervisor": supervisor}


# ---------------------------------------------------------------- each step once


def test_acceptance_missed_is_escalated_once(zjj):
    complaint = submit(zjj["a"].district)
    deadline = complaint.accept_deadline
    assert complaints_escalate(now=deadline) == 0  # at the deadline itself, still in time
    assert complaints_escalate(now=deadline + SECOND) == 1
    assert complaints_escalate(now=deadline + timedelta(hours=1)) == 0
    complaint.refresh_from_db()
    assert complaint.accept_escalated_at == complaint.escalated_at == deadline + SECOND
    assert complaint.resolve_escalated_at is None
    assert escalation_texts(complaint) == ["超过受理期限，已提交督办。"]
    assert inbox(zjj["supervisor"]).count(complaint.tracking_no) == 1 and "受理期限" in inbox(zjj["supervisor"])


def test_accepted_in_time_but_unanswered_is_escalated_once_when_the_answer_deadline_passes(zjj):
    complaint = submit(zjj["a"].district)
    complaint_transition(user=zjj["users"]["zjj"], complaint=complaint, action="accept")
    assert complaints_escalate(now=complaint.accept_deadline + timedelta(days=1)) == 0  # accepted: nothing missed
    assert complaints_escalate(now=complaint.resolve_deadline) == 0
    assert complaints_escalate(now=complaint.resolve_deadline + SECOND) == 1
    assert complaints_escalate(now=complaint.resolve_deadline + timedelta(days=3)) == 0
    complaint.refresh_from_db()
    assert complaint.accept_escalated_at is None
    assert complaint.resolve_escalated_at == complaint.escalated_at == complaint.resolve_deadline + SECOND
    assert escalation_texts(complaint) == ["超过办结期限，已提交督办。"]
    body = inbox(zjj["supervisor"])
    assert body.count(complaint.tracking_no) == 1 and "仍未答复" in body


def test_both_deadlines_missed_are_two_escalations_and_the_first_stays_the_escalation_time(zjj):
    complaint = submit(zjj["a"].district)
    first = complaint.accept_deadline + SECOND
    assert complaints_escalate(now=first) == 1
    complaint_transition(user=zjj["users"]["zjj"], complaint=complaint, action="accept")  # late
    complaint_transition(user=zjj["users"]["zjj"], complaint=complaint, action="start")
    assert complaints_escalate(now=complaint.resolve_deadline + SECOND) == 1
    assert complaints_escalate(now=complaint.resolve_deadline + timedelta(days=1)) == 0
    complaint.refresh_from_db()
    assert complaint.escalated_at == complaint.accept_escalated_at == first
    assert complaint.resolve_escalated_at == complaint.resolve_deadline + SECOND
    assert escalation_texts(complaint) == ["超过受理期限，已提交督办。", "超过办结期限，已提交督办。"]
    assert Notification.objects.filter(recipient=zjj["supervisor"]).count() == 2


def test_a_complaint_never_accepted_misses_both_in_one_run_and_is_named_twice_in_one_digest(zjj):
    complaint = submit(zjj["a"].district)
    assert complaints_escalate(now=complaint.resolve_deadline + SECOND) == 2
    assert complaints_escalate(now=complaint.resolve_deadline + timedelta(days=1)) == 0
    assert len(escalation_texts(complaint)) == 2
    note = Notification.objects.get(recipient=zjj["supervisor"])
    assert note.body.count(complaint.tracking_no) == 2 and "仍未受理" in note.body and "仍未答复" in note.body


@pytest.mark.parametrize("action", ["resolve", "reject"])
def test_a_complaint_answered_or_rejected_in_time_is_never_escalated(zjj, action):
    complaint = submit(zjj["a"].district)
    if action == "resolve":
        complaint_transition(user=zjj["users"]["zjj"], complaint=complaint, action="accept")
    complaint_transition(user=zjj["users"]["zjj"], complaint=complaint, action=action, text="已答复。")
    assert complaints_escalate(now=complaint.resolve_deadline + timedelta(days=30)) == 0
    assert not escalation_texts(complaint) and not Notification.objects.exists()


# ---------------------------------------------------------------- who hears of it when the department has no supervisor


def test_without_a_supervisor_the_district_regulators_hear_of_it(zjj):
    Department.objects.filter(pk=zjj["plan"]["zjj"].pk).update(supervisor=None)
    complaint = submit(zjj["a"].district)  # 东区, whose regulator is world's "district"
    assert complaints_escalate(now=complaint.accept_deadline + SECOND) == 1
    body = inbox(zjj["users"]["district"])
    assert complaint.tracking_no in body and "住房和城乡建设局未设督办负责人" in body
    assert not Notification.objects.exclude(recipient=zjj["users"]["district"]).exists()  # not the city as well


def test_a_disabled_supervisor_counts_as_none(zjj):
    zjj["supervisor"].is_active = False
    zjj["supervisor"].save(update_fields=["is_active"])
    complaint = submit(zjj["a"].district)
    complaints_escalate(now=complaint.accept_deadline + SECOND)
    assert complaint.tracking_no in inbox(zjj["users"]["district"]) and not inbox(zjj["supervisor"])


def test_without_a_supervisor_or_a_district_regulator_the_city_regulators_hear_of_it(zjj, miyi):
    Department.objects.filter(pk=zjj["plan"]["zjj"].pk).update(supervisor=None)
    second_city = user_with_role(Role.CITY_REGULATOR)
    user_with_role(Role.CITY_REGULATOR, is_active=False)  # a disabled account hears nothing
    complaint = submit(miyi)  # 米易 has no district regulator
    assert complaints_escalate(now=complaint.accept_deadline + SECOND) == 1
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert recipients == {zjj["users"]["city"].pk, second_city.pk}
    assert complaint.tracking_no in inbox(second_city)


def test_escalation_queries_do_not_grow_with_the_number_of_complaints(zjj, miyi):
    Department.objects.filter(pk=zjj["plan"]["gaj"].pk).update(supervisor=None)

    def run(n):
        complaints = [submit(zjj["a"].district) for _ in range(n)] + [
            submit(district, category=Category.VANDALISM) for district in (zjj["a"].district, miyi) for _ in range(n)
        ]
        late = max(c.resolve_deadline for c in complaints) + SECOND
        with CaptureQueriesContext(connection) as queries:
            assert complaints_escalate(now=late) == 2 * len(complaints)
        Complaint.objects.all().delete()
        return len(queries)

    assert run(1) == run(5)


# ---------------------------------------------------------------- two workers at once


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_escalate_each_missed_deadline_once(zjj):
    complaints = [submit(zjj["a"].district) for _ in range(12)]
    for c in complaints[:6]:  # half accepted in time: only their answer deadline is missed
        complaint_transition(user=zjj["users"]["zjj"], complaint=c, action="accept")
    late = max(c.resolve_deadline for c in complaints) + SECOND
    start, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(complaints_escalate(now=late))
        except Exception as exc:  # reported below: an exception in a thread would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(results) == 6 + 2 * 6  # 6 answers, 6 acceptances and answers
    body = inbox(zjj["supervisor"])
    for c in complaints:
        c.refresh_from_db()
        expected = 1 if c.status == Status.ACCEPTED else 2
        assert len(escalation_texts(c)) == expected == body.count(c.tracking_no), c.tracking_no
        assert c.resolve_escalated_at == late and (c.accept_escalated_at is None) == (expected == 1)


# ---------------------------------------------------------------- the data migration


def test_an_escalation_on_record_is_mapped_to_the_deadline_it_was_for(zjj):
    migration = importlib.import_module("complaints.migrations.0003_escalation_per_deadline")
    never, late, on_time = (submit(zjj["a"].district) for _ in range(3))
    now = timezone.now()
    Complaint.objects.filter(pk=never.pk).update(escalated_at=now)  # not accepted when escalated
    started = {"status": Status.IN_PROGRESS, "escalated_at": now}
    Complaint.objects.filter(pk=late.pk).update(accepted_at=now + timedelta(hours=2), **started)
    Complaint.objects.filter(pk=on_time.pk).update(accepted_at=now - timedelta(days=6), **started)
    migration.map_escalations(apps, None)
    rows = {
        c.pk: (c.accept_escalated_at, c.resolve_escalated_at)
        for c in Complaint.objects.filter(pk__in=[never.pk, late.pk, on_time.pk])
    }
    assert rows == {never.pk: (now, None), late.pk: (now, None), on_time.pk: (None, now)}
    # The answer deadline of the first two can still be escalated; the third's was.
    assert complaints_escalate(now=never.resolve_deadline + SECOND) == 2
    assert set(Complaint.objects.filter(resolve_escalated_at__gt=now).values_list("pk", flat=True)) == {
        never.pk,
        late.pk,
    }


# ---------------------------------------------------------------- the regulators' list of departments without one

LIST = reverse("departments:without_supervisor")


@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 302),
        ("city", 200),
        ("district", 200),
        ("zjj", 403),
        ("use_unit", 403),
        ("maintenance", 403),
        ("inspection", 403),
    ],
)
def test_the_list_is_for_regulators(client, zjj, who, status):
    if who != "anonymous":
        client.force_login(zjj["users"][who])
    assert client.get(LIST).status_code == status


def test_the_list_names_departments_without_an_active_supervisor_and_the_public_page_points_to_it(client, zjj):
    gaj = zjj["plan"]["gaj"]
    disabled = user_with_role(Role.DEPARTMENT, organization=gaj.organization, is_active=False)
    Department.objects.filter(pk=gaj.pk).update(supervisor=disabled)
    client.force_login(zjj["users"]["city"])
    html = client.get(LIST).content.decode()
    assert gaj.name in html and zjj["plan"]["zjj"].name not in html
    missing = Department.objects.exclude(pk=zjj["plan"]["zjj"].pk).count()
    assert html.count("<tr>") == missing + 1  # the header row
    page = client.get(reverse("departments:who_handles_what")).content.decode()
    assert f"{missing}个部门未设督办负责人" in page and LIST in page
    client.logout()
    assert "未设督办负责人" not in client.get(reverse("departments:who_handles_what")).content.decode()


def test_the_list_takes_a_fixed_number_of_queries(client, zjj, django_assert_num_queries):
    client.force_login(zjj["users"]["city"])
    # session, user, the departments joined to their district with their routing-rule count, unread notifications
    with django_assert_num_queries(4):
        assert client.get(LIST).status_code == 200

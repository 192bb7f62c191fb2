"""Only the use unit's designated 安全管理员, certificate valid on the day, confirms maintenance records
(TSG T5002-2017; 特种设备安全监察条例 §33; plan §2(7)): the rule in accounts.access, the service, the page, the API."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import access
from maintenance import services
from registry.choices import PersonKind
from registry.models import Person

from ..factories import PersonFactory, make_record

pytestmark = pytest.mark.django_db

REFUSED = "只有本单位持有效证书的安全管理员可以确认维保记录。"
TODAY = timezone.localdate()


def api_url(record) -> str:
    return f"/api/v1/maintenance-records/{record.pk}/confirm/"


def designate(world, *, valid_until=None, organization="use_a", kind=PersonKind.SAFETY_MANAGER):
    """Make the use unit's login (金江物业) the person described, in place of the persona's 安全管理员."""
    user = world["users"]["use_unit"]
    Person.objects.filter(user=user).update(user=None)
    if valid_until is not False:
        PersonFactory(
            organization=world[organization],
            kind=kind,
            user=user,
            certificate_valid_until=TODAY + timedelta(days=365) if valid_until is None else valid_until,
        )
    return type(user).objects.get(pk=user.pk)  # as a request loads it: no person cached from before


# (who the 金江物业 login is, whether it may confirm)
CASES = {
    "manager, certificate valid": (dict(), True),
    "manager, certificate expiring today": (dict(valid_until=TODAY), True),
    "manager, certificate expired yesterday": (dict(valid_until=TODAY - timedelta(days=1)), False),
    "another use unit's manager": (dict(organization="use_b"), False),
    "a person who is not a safety manager": (dict(organization="use_a", kind=PersonKind.INSPECTOR), False),
    "no person linked to the login": (dict(valid_until=False), False),
}


@pytest.mark.parametrize("case", CASES)
def test_the_rule_the_service_the_page_and_the_api(world, client, case):
    setup, allowed = CASES[case]
    user = designate(world, **setup)
    record = make_record(world)
    assert access.is_safety_manager(user, world["use_a"].pk) is allowed
    assert access.can_confirm_record(user, record) is allowed
    assert access.can_confirm_record(user) is allowed  # starts from the records awaiting confirmation, or not

    client.force_login(user)
    html = client.get(reverse("maintenance:record_detail", args=[record.pk])).content.decode()
    assert ("确认维保记录</button>" in html) is allowed
    assert ('id="confirm-refused"' in html and REFUSED in html) is not allowed

    response = client.post(api_url(record))
    if allowed:
        assert response.status_code == 200 and response.json()["status"] == "confirmed"
    else:
        assert (response.status_code, response.json()) == (403, {"detail": REFUSED})
        assert client.post(reverse("maintenance:record_confirm", args=[record.pk])).status_code == 403
        with pytest.raises(PermissionDenied, match=REFUSED):
            services.record_confirm(user=user, record=record)
        record.refresh_from_db()
        assert record.status == "submitted"


def test_the_page_confirms_for_the_manager(world, client):
    record = make_record(world)
    client.force_login(world["users"]["use_unit"])
    response = client.post(reverse("maintenance:record_confirm", args=[record.pk]), follow=True)
    assert response.status_code == 200
    record.refresh_from_db()
    assert (record.status, record.confirmed_by) == ("confirmed", world["users"]["use_unit"])


def test_the_certificate_is_read_on_the_day_of_confirming(world):
    user = designate(world, valid_until=TODAY)
    assert access.is_safety_manager(user, world["use_a"].pk, on=TODAY)
    assert not access.is_safety_manager(user, world["use_a"].pk, on=TODAY + timedelta(days=1))


def test_another_use_units_manager_cannot_confirm_and_does_not_even_see_the_record(world, client):
    record = make_record(world)
    other = world["users"]["use_unit_b"]  # 米易物业's certified safety manager
    assert access.is_safety_manager(other, world["use_b"].pk)
    assert not access.can_confirm_record(other, record)
    with pytest.raises(PermissionDenied, match=REFUSED):
        services.record_confirm(user=other, record=record)
    client.force_login(other)
    assert client.post(api_url(record)).status_code == 404
    assert client.get(reverse("maintenance:record_detail", args=[record.pk])).status_code == 404


@pytest.mark.parametrize("who", ["maintenance", "city", "district"])
def test_others_see_neither_the_button_nor_the_reason(world, client, who):
    record = make_record(world)
    client.force_login(world["users"][who])
    html = client.get(reverse("maintenance:record_detail", args=[record.pk])).content.decode()
    assert "确认维保记录</button>" not in html and 'id="confirm-refused"' not in html
    assert client.post(api_url(record)).status_code == 403


def test_a_confirmed_record_shows_no_reason(world, client):
    record = make_record(world)
    services.record_confirm(user=world["users"]["use_unit"], record=record)
    user = designate(world, valid_until=False)  # the manager leaves: the login is no one's any more
    client.force_login(user)
    html = client.get(reverse("maintenance:record_detail", args=[record.pk])).content.decode()
    assert 'id="confirm-refused"' not in html

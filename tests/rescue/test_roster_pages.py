"""The duty roster pages: a firm keeps its own shifts, regulators and the 96333 centre read them (TSG T5002-2017 §5:
24-hour rescue duty; docs/rules.md "Entrapment rescue loop")."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rescue.choices import DutyLevel
from rescue.models import DutyShift

pytestmark = pytest.mark.django_db


def shift(firm, *, hours_from_now=-1, length=12, name="值班王", phone="13800000001", level=DutyLevel.ON_CALL):
    starts = timezone.now() + timedelta(hours=hours_from_now)
    return DutyShift.objects.create(
        firm=firm, level=level, name=name, phone=phone, starts_at=starts, ends_at=starts + timedelta(hours=length)
    )


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def form(**extra):
    starts = timezone.localtime() + timedelta(hours=1)
    data = {
        "level": DutyLevel.ON_CALL,
        "name": "夜班李",
        "phone": "13800000002",
        "email": "",
        "user": "",
        "starts_at": local(starts),
        "ends_at": local(starts + timedelta(hours=12)),
        "note": "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    "role, expected",
    [
        ("anonymous", 302),
        ("maintenance", 200),
        ("rescue_centre", 200),
        ("city", 200),
        ("district", 200),
        ("use_unit", 403),
        ("inspection", 403),
        ("department", 403),
    ],
)
def test_roster_page_by_role(client, world, role, expected):
    if role != "anonymous":
        client.force_login(world["users"][role])
    assert client.get(reverse("rescue:roster")).status_code == expected
    new = client.get(reverse("rescue:shift_new")).status_code
    assert new == (200 if role == "maintenance" else 302 if role == "anonymous" else 403)


def test_a_firm_sees_its_own_shifts_with_on_duty_now_marked(client, world):
    now_on = shift(world["firm_a"], name="当班张")
    later = shift(world["firm_a"], hours_from_now=13, name="下一班赵")
    other = shift(world["firm_b"], name="蜀通刘")
    client.force_login(world["users"]["maintenance"])
    body = client.get(reverse("rescue:roster")).content.decode()
    assert "当班张" in body and "下一班赵" in body and "蜀通刘" not in body
    assert f'<tr data-shift="{now_on.pk}" class="on-duty">' in body
    assert f'<tr data-shift="{later.pk}">' in body
    assert reverse("rescue:shift_edit", args=[now_on.pk]) in body
    assert other.pk not in {s.pk for s in DutyShift.objects.filter(firm=world["firm_a"])}


def test_regulators_read_the_rosters_of_their_scope_and_filter_by_firm(client, world):
    shift(world["firm_a"], name="安达张")
    shift(world["firm_b"], name="蜀通刘")
    client.force_login(world["users"]["district"])  # 东区: firm_a is in 东区, firm_b in 米易县
    body = client.get(reverse("rescue:roster")).content.decode()
    assert "安达张" in body and "蜀通刘" not in body
    assert reverse("rescue:shift_new") not in body and "/edit/" not in body
    client.force_login(world["users"]["rescue_centre"])
    body = client.get(reverse("rescue:roster")).content.decode()
    assert "安达张" in body and "蜀通刘" in body
    body = client.get(reverse("rescue:roster"), {"firm": world["firm_b"].pk}).content.decode()
    assert "安达张" not in body and "蜀通刘" in body


def test_a_firm_creates_edits_and_deletes_a_shift(client, world):
    client.force_login(world["users"]["maintenance"])
    response = client.post(reverse("rescue:shift_new"), form(user=world["users"]["maintenance"].pk))
    assert response.status_code == 302, response.content.decode()
    created = DutyShift.objects.get(name="夜班李")
    assert created.firm == world["firm_a"] and created.user == world["users"]["maintenance"]
    assert created.history.first().history_user == world["users"]["maintenance"]
    edit = reverse("rescue:shift_edit", args=[created.pk])
    assert 'type="datetime-local"' in client.get(edit).content.decode()
    response = client.post(edit, form(name="夜班李", phone="139 0000 0003"))
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.phone == "13900000003"
    delete = reverse("rescue:shift_delete", args=[created.pk])
    assert "确定删除" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert not DutyShift.objects.filter(pk=created.pk).exists()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"phone": "1380000000"}, "phone", "11位手机号"),
        ({"phone": "abc"}, "phone", "11位手机号"),
        ({"ends_at": "2020-01-01T00:00"}, "ends_at", "结束时间必须晚于开始时间"),
        ({"name": ""}, "name", ""),
    ],
)
def test_shift_validation_errors_name_their_field(client, world, changes, field, message):
    client.force_login(world["users"]["maintenance"])
    response = client.post(reverse("rescue:shift_new"), form(**changes))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="error-summary"' in body and f'href="#id_{field}"' in body and message in body
    assert not DutyShift.objects.exists()


def test_a_shift_longer_than_31_days_is_refused_by_the_service(client, world):
    client.force_login(world["users"]["maintenance"])
    starts = timezone.localtime() + timedelta(hours=1)
    response = client.post(reverse("rescue:shift_new"), form(ends_at=local(starts + timedelta(days=40))))
    assert response.status_code == 200 and "31天" in response.content.decode()


def test_a_shift_login_must_be_of_the_firm(client, world):
    client.force_login(world["users"]["maintenance"])
    response = client.post(reverse("rescue:shift_new"), form(user=world["users"]["maintenance_b"].pk))
    assert response.status_code == 200 and 'href="#id_user"' in response.content.decode()


def test_no_one_else_changes_a_firms_roster(client, world):
    mine = shift(world["firm_a"])
    data = form()
    for role, expected in (("maintenance_b", 404), ("rescue_centre", 403), ("city", 403), ("district", 403)):
        client.force_login(world["users"][role])
        for url in (reverse("rescue:shift_edit", args=[mine.pk]), reverse("rescue:shift_delete", args=[mine.pk])):
            assert client.get(url).status_code == expected
            assert client.post(url, data).status_code == expected
    assert DutyShift.objects.get(pk=mine.pk).name == "值班王"


def test_the_roster_is_paginated_and_filters_past_shifts(client, world):
    for i in range(55):
        shift(world["firm_a"], hours_from_now=i * 12, name=f"班{i:02d}")
    shift(world["firm_a"], hours_from_now=-48, name="昨日班")
    client.force_login(world["users"]["maintenance"])
    first = client.get(reverse("rescue:roster")).content.decode()
    assert "班00" in first and "班54" not in first and "昨日班" not in first and "page=2" in first
    second = client.get(reverse("rescue:roster"), {"page": 2}).content.decode()
    assert "班54" in second
    past = client.get(reverse("rescue:roster"), {"when": "past"}).content.decode()
    assert "昨日班" in past and "班00" not in past

import pytest
from django.urls import reverse

from accounts.choices import Role
from registry.models import Elevator

from ..factories import ElevatorFactory, user_with_role


@pytest.fixture
def city_client(client, db):
    client.force_login(user_with_role(Role.CITY_REGULATOR))
    return client


def test_elevator_list_query_count_does_not_grow_with_rows(city_client, django_assert_num_queries):
    ElevatorFactory.create_batch(3)
    # session, user, count, districts for the filter, one page of elevators joined to district and organisations,
    # unread notifications in the menu
    with django_assert_num_queries(6) as small:
        city_client.get(reverse("registry:elevator_list"))
    ElevatorFactory.create_batch(30)
    with django_assert_num_queries(len(small.captured_queries)):
        response = city_client.get(reverse("registry:elevator_list"))
    assert response.status_code == 200


def test_elevator_list_filters_and_search(city_client, dongqu, xiqu):
    a = ElevatorFactory(district=dongqu, address="炳草岗大街1号")
    b = ElevatorFactory(district=xiqu, address="清香坪街2号")
    body = city_client.get(reverse("registry:elevator_list"), {"district_id": xiqu.pk}).content.decode()
    assert b.registration_code in body and a.registration_code not in body
    body = city_client.get(reverse("registry:elevator_list"), {"q": "炳草岗"}).content.decode()
    assert a.registration_code in body and b.registration_code not in body


def test_elevator_list_paginates(city_client):
    ElevatorFactory.create_batch(51)
    body = city_client.get(reverse("registry:elevator_list"), {"page": 2}).content.decode()
    assert "第 2 / 2 页" in body


def test_empty_list_says_so(city_client):
    assert "没有符合条件的电梯" in city_client.get(reverse("registry:elevator_list")).content.decode()


def test_create_elevator_through_the_form_with_field_errors(city_client, dongqu, world):
    url = reverse("registry:elevator_create")
    data = {
        "registration_code": "33105104022012070003",
        "elevator_type": "3110",
        "district": dongqu.pk,
        "address": "某地",
        "building_kind": "residential",
        "status": "in_use",
        "maintenance_fund": "none",
    }
    response = city_client.post(url, data)
    assert response.status_code == 200
    assert "类别代码“3310”（自动扶梯）与电梯类型“曳引驱动乘客电梯”（3110）不符。" in response.content.decode()
    assert not Elevator.objects.filter(registration_code=data["registration_code"]).exists()
    data["registration_code"] = "31105104022012070077"
    response = city_client.post(url, data, follow=True)
    assert "已保存" in response.content.decode()
    elevator = Elevator.objects.get(registration_code="31105104022012070077")
    assert elevator.history.first().history_user.role == Role.CITY_REGULATOR


def test_detail_page_shows_the_audit_trail(city_client):
    elevator = ElevatorFactory()
    url = reverse("registry:elevator_edit", args=[elevator.pk])
    form = city_client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(address="新地址99号", district=elevator.district_id)
    city_client.post(url, data)
    body = city_client.get(reverse("registry:elevator_detail", args=[elevator.pk])).content.decode()
    assert "新地址99号" in body and "address" in body


def test_organization_list_query_count(city_client, django_assert_max_num_queries, world):
    # session, user, count, page with district, unread notifications in the menu
    with django_assert_max_num_queries(5):
        response = city_client.get(reverse("registry:organization_list"))
    assert response.status_code == 200 and world["use_a"].name in response.content.decode()

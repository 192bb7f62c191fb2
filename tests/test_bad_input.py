"""Bad input in a query string or form gets a page or a 4xx with a message, never a server error."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "abc", "2026-", "-1-01"])
def test_the_inspection_calendar_shows_this_month_for_a_month_it_cannot_show(client, world, month):
    client.force_login(world["users"]["inspection"])
    assert client.get(reverse("inspections:calendar"), {"month": month}).status_code == 200


def test_marking_a_notification_read_with_a_malformed_id_is_a_400_with_a_message(client, world):
    client.force_login(world["users"]["use_unit"])
    response = client.post(reverse("notifications:mark_read"), {"id": "abc"})
    assert response.status_code == 400 and "通知编号无效" in response.content.decode()


def test_marking_an_unknown_notification_read_marks_none(client, world):
    client.force_login(world["users"]["use_unit"])
    response = client.post(reverse("notifications:mark_read"), {"id": "999999"}, follow=True)
    assert response.status_code == 200 and "已将0条通知标为已读" in response.content.decode()

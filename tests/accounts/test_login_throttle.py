"""Throttled logins (django-axes; settings LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES): after the limit of wrong
passwords for one account or from one address, even the right password is refused until the lockout ends; the
login page and the admin's alike; failures are kept for the audit."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.urls import reverse

from accounts.choices import Role

from ..factories import user_with_role

PASSWORD = "right-password-2026"
LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")


@pytest.fixture
def regulator(districts):
    user = user_with_role(Role.CITY_REGULATOR, username="shi")
    user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    return user


def attempt(client, url, password, username="shi", ip="10.1.1.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_the_right_password_is_refused_after_the_limit_of_wrong_ones(client, regulator, url):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, url, "wrong").status_code == 200  # the form again, with its error
    response = attempt(client, url, "wrong")
    assert response.status_code == 429 and "登录已暂停" in response.content.decode()
    response = attempt(client, url, PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_one_wrong_password_short_of_the_limit_still_lets_the_right_one_in(client, regulator):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, LOGIN, "wrong")
    assert attempt(client, LOGIN, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(regulator.pk)
    # A success clears the count: the limit starts again from zero.
    assert not AccessAttempt.objects.filter(username="shi").exists()


def test_guessing_many_accounts_from_one_address_is_stopped_too(client, regulator):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, LOGIN, "wrong", username=f"guess{n}", ip="10.9.9.9")
    assert attempt(client, LOGIN, PASSWORD, ip="10.9.9.9").status_code == 429
    # The account itself is not locked for the staff member on another address.
    assert attempt(client, LOGIN, PASSWORD, ip="10.2.2.2").status_code == 302


def test_the_lockout_ends_after_its_time(client, regulator):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, LOGIN, "wrong")
    assert attempt(client, LOGIN, PASSWORD).status_code == 429
    # As if LOGIN_LOCKOUT_MINUTES had passed since the last failure.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert attempt(client, LOGIN, PASSWORD).status_code == 302


def test_failed_logins_are_kept_for_the_audit(client, regulator):
    attempt(client, LOGIN, "wrong", ip="10.3.3.3")
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.ip_address, failure.path_info) == ("shi", "10.3.3.3", LOGIN)

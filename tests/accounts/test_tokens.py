"""API tokens and Open311 partner keys are stored hashed, expire, and are shown once (issue 14); wrong partner keys
are throttled per address."""

import hashlib
import importlib
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from accounts.models import ApiToken
from complaints.models import PartnerKey
from departments.choices import Category

from ..factories import ElevatorFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db
API = "/api/v1/elevators/"


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


@pytest.fixture
def city(db):
    return user_with_role(Role.CITY_REGULATOR)


def test_a_token_is_stored_as_its_sha256_and_works_as_token_key(client, city):
    token = ApiToken.objects.create(user=city)
    key = token.key
    assert len(key) == 40 and token.prefix == key[:8]
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key is None and stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert not any(key in str(column) for row in cursor.fetchall() for column in row)
    ElevatorFactory()
    response = client.get(API, **auth(key))
    assert response.status_code == 200 and response.json()["count"] == 1
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


@pytest.mark.parametrize("key", ["wrong", "k" * 40, "", "x" * 200])
def test_a_wrong_key_is_401(client, city, key):
    token = ApiToken.objects.create(user=city)
    wrong = token.key[:8] + "0" * 32 if key == "k" * 40 else key  # same prefix, other key too
    assert client.get(API, **auth(wrong)).status_code == 401


def test_an_expired_token_is_refused_and_the_expiry_follows_the_setting(client, city, settings):
    settings.API_TOKEN_DAYS = 30
    token = ApiToken.objects.create(user=city)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(API, **auth(token.key))
    assert response.status_code == 401 and "过期" in response.json()["detail"]


def test_an_inactive_users_token_is_refused(client, city):
    token = ApiToken.objects.create(user=city)
    city.is_active = False
    city.save()
    assert client.get(API, **auth(token.key)).status_code == 401


def test_the_command_issues_a_token_shown_once(client, city):
    out, err = StringIO(), StringIO()
    call_command("issue_api_token", city.username, "--name", "省平台对接", "--days", "7", stdout=out, stderr=err)
    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.name == "省平台对接" and token.prefix == key[:8] and key not in err.getvalue()
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert client.get(API, **auth(key)).status_code == 200


def test_the_data_migration_hashes_drf_tokens_that_keep_working(client, city):
    """The clear keys of rest_framework.authtoken become hashed ApiTokens; the same header keeps working."""
    migration = importlib.import_module("accounts.migrations.0005_api_tokens_from_authtoken")
    legacy = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, "user_id" integer, '
            '"created" timestamp with time zone)'
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [legacy, city.pk, timezone.now()])
    try:
        migration.hash_legacy_tokens(apps, SimpleNamespace(connection=connection))
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone()[0] == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    assert ApiToken.objects.get().prefix == legacy[:8]
    assert client.get(API, **auth(legacy)).status_code == 200


# -------------------------------------------------------- Open311 partner keys


def post(client, key, ip="10.9.0.1"):
    return client.post(
        reverse("open311_requests", kwargs={"fmt": "json"}),
        {
            "api_key": key,
            "service_code": Category.VANDALISM,
            "description": "电梯按钮被砸坏。",
            "address_string": "西区清香坪某小区2栋",
            "district": "510403",
        },
        REMOTE_ADDR=ip,
    )


def test_a_partner_key_is_stored_hashed_and_compared_hashed(client, plan, xiqu):
    partner = PartnerKey.objects.create(name="12345市民热线")
    key = partner.key
    stored = PartnerKey.objects.get()
    assert stored.key is None and stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.prefix == key[:8] and stored.expires_at > timezone.now() + timedelta(days=300)
    assert post(client, key).status_code == 200
    assert post(client, key[:-1] + ("0" if key[-1] != "0" else "1")).status_code == 403
    assert PartnerKey.objects.get().last_used_at is not None


def test_an_expired_partner_key_is_refused(client, plan, xiqu):
    partner = PartnerKey.objects.create(name="12345市民热线", expires_at=timezone.now() - timedelta(minutes=1))
    response = post(client, partner.key)
    assert response.status_code == 403 and "过期" in response.json()[0]["description"]


def test_wrong_partner_keys_are_throttled_per_address(client, plan, xiqu, settings):
    settings.OPEN311_BAD_KEYS_PER_HOUR = 3
    cache.clear()
    partner = PartnerKey.objects.create(name="12345市民热线")
    assert [post(client, f"guess-{n}").status_code for n in range(4)] == [403, 403, 403, 429]
    # from now on even the right key is not looked at from that address; another address is not affected
    assert post(client, partner.key).status_code == 429
    assert post(client, partner.key, ip="10.9.0.2").status_code == 200


def test_the_throttle_fails_open_when_the_cache_is_down(client, plan, xiqu, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.OPEN311_BAD_KEYS_PER_HOUR = 1
    partner = PartnerKey.objects.create(name="12345市民热线")
    assert [post(client, "guess").status_code for _ in range(3)] == [403, 403, 403]
    assert post(client, partner.key).status_code == 200


def test_the_admin_shows_a_new_partner_key_once(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:complaints_partnerkey_add"), {"name": "12345市民热线", "is_active": "on"}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    partner = PartnerKey.objects.get()
    key = next(text.rsplit("：", 1)[1] for text in shown if "只显示这一次" in text)
    assert hashlib.sha256(key.encode()).hexdigest() == partner.key_hash
    page = client.get(reverse("admin:complaints_partnerkey_change", args=[partner.pk])).content.decode()
    assert key not in page and partner.prefix in page


def test_wrong_tokens_from_one_address_are_throttled(client, world, settings):
    """Issue 14: failed token attempts are limited per address (API_TOKEN_FAILURES_PER_HOUR), a valid token included
    once the limit is reached; another address is not affected."""
    from django.core.cache import cache

    from accounts.models import ApiToken

    cache.clear()
    settings.API_TOKEN_FAILURES_PER_HOUR = 3
    good = ApiToken.objects.create(user=world["users"]["city"]).key
    for _ in range(3):
        wrong = client.get("/api/v1/districts/", HTTP_AUTHORIZATION="Token wrong-key-000", REMOTE_ADDR="10.1.1.1")
        assert wrong.status_code == 401
    refused = client.get("/api/v1/districts/", HTTP_AUTHORIZATION=f"Token {good}", REMOTE_ADDR="10.1.1.1")
    assert refused.status_code == 429 and "令牌错误次数过多" in refused.json()["detail"]
    other = client.get("/api/v1/districts/", HTTP_AUTHORIZATION=f"Token {good}", REMOTE_ADDR="10.2.2.2")
    assert other.status_code == 200
    cache.clear()

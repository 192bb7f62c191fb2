import os
from unittest import mock

import pytest

from elevator_portal import health


@pytest.mark.django_db
def test_healthy(client):
    with mock.patch.object(health, "check_broker", return_value=None):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "problems": []}


@pytest.mark.django_db
def test_broker_down_is_503_with_the_reason(client):
    with mock.patch.object(health.celery_app, "connection_for_write") as conn:
        conn.return_value.__enter__.return_value.ensure_connection.side_effect = ConnectionRefusedError("refused")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["broker: ConnectionRefusedError: refused"]


@pytest.mark.django_db
def test_database_down_is_503_with_the_reason(client):
    with (
        mock.patch.object(health, "check_broker", return_value=None),
        mock.patch.object(health.connection, "cursor", side_effect=RuntimeError("no database")),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["problems"] == ["database: RuntimeError: no database"]


@pytest.mark.slow  # the refused connection is retried once, two seconds later, as in production
@pytest.mark.redis
@pytest.mark.skipif(not os.getenv("TEST_REDIS_URL"), reason="set TEST_REDIS_URL to check a real Redis broker")
@pytest.mark.django_db
def test_healthz_reaches_a_real_redis_broker_and_names_one_that_refuses(client):
    connect = health.celery_app.connection_for_write

    def healthz_with_broker(url):
        with mock.patch.object(health.celery_app, "connection_for_write", lambda: connect(url)):
            return client.get("/healthz")

    response = healthz_with_broker(os.environ["TEST_REDIS_URL"])
    assert response.status_code == 200 and response.json() == {"status": "ok", "problems": []}
    # Nothing listens on port 1: the same check then fails, so the 200 above was Redis answering.
    response = healthz_with_broker("redis://127.0.0.1:1/0")
    assert response.status_code == 503
    [problem] = response.json()["problems"]
    assert problem.startswith("broker: OperationalError:") and "Connection refused" in problem


# ---------------------------------------------------------------- /livez: the process answers, nothing else


@pytest.mark.django_db
def test_livez_answers_ok_without_a_single_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):  # no session, no user, no database check: the middleware stays lazy
        response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]  # a cache in front must not answer for a dead process


def test_livez_stays_ok_when_the_database_and_the_broker_are_down(client):
    with (
        mock.patch.object(health.connection, "cursor", side_effect=RuntimeError("no database")),
        mock.patch.object(health.celery_app, "connection_for_write", side_effect=RuntimeError("no broker")),
    ):
        response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "ok"}

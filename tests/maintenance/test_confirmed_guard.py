"""The database guard behind README's "a confirmed record can no longer be changed or deleted by any path": on
PostgreSQL a trigger refuses `QuerySet.update()`, `.delete()` and raw SQL on a confirmed record and its parts
(TSG T5002-2017: records kept 4 years, a correction is a new record; maintenance migration 0007)."""

import pytest
from django.db import IntegrityError, connection, transaction

from maintenance import services
from maintenance.models import Attachment, ConfirmedRecordError, MaintenanceRecord, RecordItem

from ..factories import JPEG, make_record

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the guard is a PostgreSQL trigger; SQLite has only the model's guard"
)


@pytest.fixture
def confirmed(world):
    record = make_record(world, attachments=[services.UploadedFile("p.jpg", JPEG)])
    services.record_confirm(user=world["users"]["use_unit"], record=record)
    return record


def refused(action) -> None:
    with pytest.raises(IntegrityError, match="confirmed"), transaction.atomic():
        action()


@postgres_only
def test_queryset_update_and_delete_of_a_confirmed_record_are_refused_by_the_database(confirmed):
    records = MaintenanceRecord.objects.filter(pk=confirmed.pk)
    refused(lambda: records.update(note="改过"))
    refused(lambda: records.update(status="submitted"))
    refused(lambda: records.delete())
    refused(lambda: RecordItem.objects.filter(record=confirmed).update(note="改过"))
    refused(lambda: RecordItem.objects.filter(record=confirmed).delete())
    refused(lambda: Attachment.objects.filter(record=confirmed).delete())
    refused(lambda: confirmed.workers.clear())
    with connection.cursor() as cursor:
        refused(lambda: cursor.execute("DELETE FROM maintenance_maintenancerecord WHERE id = %s", [confirmed.pk]))
    confirmed.refresh_from_db()
    assert confirmed.note == "" and confirmed.status == "confirmed"
    assert confirmed.items.exists() and confirmed.attachments.count() == 1 and confirmed.workers.exists()


@postgres_only
def test_the_apps_own_writes_still_work_under_the_guard(world, confirmed):
    # a submitted record is updated, confirmed and withdrawn as before; a correction is a new row
    other = make_record(world)
    MaintenanceRecord.objects.filter(pk=other.pk).update(note="补充说明")
    correction = make_record(world, corrects=confirmed, note="更正")
    services.record_confirm(user=world["users"]["use_unit"], record=correction)
    assert MaintenanceRecord.objects.get(pk=correction.pk).status == "confirmed"
    services.record_delete(user=world["users"]["maintenance"], record=other)
    assert not MaintenanceRecord.objects.filter(pk=other.pk).exists()


def test_the_model_guard_still_answers_first_with_its_message(confirmed):
    # on every database the page/API/admin path gets the model's readable error before reaching the trigger
    with pytest.raises(ConfirmedRecordError):
        confirmed.delete()
    confirmed.note = "改过"
    with pytest.raises(ConfirmedRecordError):
        confirmed.save()

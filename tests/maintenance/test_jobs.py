"""Contracts, the 15-day overdue job (条例 §31) and the integrity checks."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from maintenance import integrity, services
from maintenance.jobs import maintenance_overdue_run
from maintenance.models import ContractElevator, MaintenanceContract
from notifications.models import Notification, Reminder

from ..factories import JPEG, ElevatorFactory, make_record

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 29)


def contract(
    world,
    firm="firm_a",
    number="HT-1",
    start=TODAY - timedelta(days=10),
    end=TODAY + timedelta(days=355),
    elevators=None,
):
    return services.contract_create(
        user=world["users"]["use_unit"],
        number=number,
        use_unit=world["use_a"],
        firm=world[firm],
        starts_on=start,
        ends_on=end,
        elevators=elevators or [world["a"]],
        today=TODAY,
    )


class TestContracts:
    def test_an_active_contract_makes_its_firm_the_elevators_firm(self, world):
        world["a"].maintenance_firm = None
        world["a"].save()
        contract(world)
        world["a"].refresh_from_db()
        assert world["a"].maintenance_firm == world["firm_a"]

    def test_the_database_refuses_two_active_firms_for_one_elevator(self, world):
        first = contract(world)
        second = contract(world, number="HT-2", start=TODAY + timedelta(days=400), end=TODAY + timedelta(days=800))
        with pytest.raises(IntegrityError), transaction.atomic():
            ContractElevator.objects.filter(contract=second).update(active=True)
        assert first.coverage.get().active

    def test_overlapping_periods_are_refused(self, world):
        contract(world)
        with pytest.raises(ValidationError, match="在该期间已有维保合同"):
            contract(world, firm="firm_b", number="HT-2", start=TODAY + timedelta(days=100))

    def test_a_starting_contract_leaves_an_elevator_still_under_another_active_one(self, world):
        other = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])
        contract(world, elevators=[world["a"]])  # active until TODAY + 355
        new = contract(
            world,
            firm="firm_b",
            number="HT-2",
            start=TODAY + timedelta(days=400),
            end=TODAY + timedelta(days=500),
            elevators=[other],
        )
        # Force the overlap a bad import could leave: the new contract also names the still-covered elevator.
        ContractElevator.objects.create(contract=new, elevator=world["a"])
        day = TODAY + timedelta(days=400)
        MaintenanceContract.objects.filter(number="HT-1").update(ends_on=day)  # still active on that day
        assert services.contracts_roll(today=day) == {"ended": 0, "started": 1}
        assert set(ContractElevator.objects.filter(contract=new, active=True).values_list("elevator", flat=True)) == {
            other.pk
        }
        assert ContractElevator.objects.get(contract__number="HT-1", elevator=world["a"]).active

    def test_roll_over_ends_and_starts_contracts_on_their_days(self, world):
        old = contract(world, end=TODAY)
        new = contract(
            world, firm="firm_b", number="HT-2", start=TODAY + timedelta(days=1), end=TODAY + timedelta(days=300)
        )
        assert services.contracts_roll(today=TODAY) == {"ended": 0, "started": 0}
        assert services.contracts_roll(today=TODAY + timedelta(days=1)) == {"ended": 1, "started": 1}
        assert services.contracts_roll(today=TODAY + timedelta(days=1)) == {"ended": 0, "started": 0}
        old.refresh_from_db()
        new.refresh_from_db()
        world["a"].refresh_from_db()
        assert (old.status, new.status) == ("ended", "active")
        assert world["a"].maintenance_firm == world["firm_b"]

    def test_a_firm_with_a_lapsed_licence_cannot_sign(self, world):
        world["firm_b"].licence_valid_until = TODAY - timedelta(days=1)
        world["firm_b"].save()
        with pytest.raises(ValidationError, match="许可证已于"):
            contract(world, firm="firm_b")

    def test_terminating_frees_the_elevator(self, world):
        c = contract(world)
        services.contract_terminate(user=world["users"]["use_unit"], contract=c, on=TODAY)
        world["a"].refresh_from_db()
        assert world["a"].maintenance_firm is None and not c.coverage.get().active


class TestOverdue:
    @pytest.mark.parametrize("days, overdue", [(14, False), (15, False), (16, True)])
    def test_overdue_edges(self, world, days, overdue):
        world["a"].last_maintenance_on = TODAY - timedelta(days=days)
        world["a"].save()
        assert maintenance_overdue_run(today=TODAY).created == (1 if overdue else 0)

    def test_alerts_the_firm_and_the_use_unit_once_per_gap(self, world):
        world["a"].last_maintenance_on = TODAY - timedelta(days=20)
        world["a"].save()
        first = maintenance_overdue_run(today=TODAY)
        assert (first.created, first.recipients) == (1, 2)
        assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
            world["users"]["maintenance"].username,
            world["users"]["use_unit"].username,
        }
        assert maintenance_overdue_run(today=TODAY).created == 0
        assert maintenance_overdue_run(today=TODAY + timedelta(days=1)).created == 0
        # maintained, then a new gap: a new alert
        world["a"].last_maintenance_on = TODAY
        world["a"].save()
        assert maintenance_overdue_run(today=TODAY + timedelta(days=16)).created == 1
        assert Reminder.objects.count() == 2

    def test_regulators_list_the_overdue_elevators(self, world, client):
        world["a"].last_maintenance_on = timezone.localdate() - timedelta(days=16)
        world["a"].save()
        world["b"].last_maintenance_on = timezone.localdate() - timedelta(days=15)
        world["b"].save()
        client.force_login(world["users"]["city"])
        body = client.get("/registry/elevators/", {"maintenance_overdue": "true"}).content.decode()
        assert world["a"].registration_code in body and world["b"].registration_code not in body

    def test_query_count_does_not_depend_on_the_number_of_elevators(self, world):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from ..factories import bulk_elevators

        def run(n):
            Reminder.objects.all().delete()
            bulk_elevators(
                n,
                use_unit=world["use_a"],
                maintenance_firm=world["firm_a"],
                last_maintenance_on=TODAY - timedelta(days=30),
            )
            with CaptureQueriesContext(connection) as ctx:
                maintenance_overdue_run(today=TODAY)
            return len(ctx.captured_queries)

        assert run(5) == run(500)


class TestIntegrity:
    def window(self, world):
        return {
            "user": world["users"]["city"],
            "since": timezone.localdate() - timedelta(days=3),
            "until": timezone.localdate(),
        }

    def test_short_visits(self, world, settings):
        settings.MAINTENANCE_MIN_VISIT_MINUTES = 30
        short = make_record(world, minutes=29)
        make_record(world, minutes=30, started=timezone.now() - timedelta(hours=5))
        assert list(integrity.short_visits(**self.window(world))) == [short]

    def test_one_photo_on_two_records(self, world):
        photo = services.UploadedFile("a.jpg", JPEG)
        r1 = make_record(world, attachments=[photo])
        other = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])
        r2 = make_record(world, elevator=other, started=timezone.now() - timedelta(hours=6), attachments=[photo])
        make_record(
            world,
            started=timezone.now() - timedelta(hours=9),
            attachments=[services.UploadedFile("b.jpg", JPEG + b"x")],
        )
        [group] = integrity.reused_photos(**self.window(world))
        assert {r.pk for r in group["records"]} == {r1.pk, r2.pk}

    def test_one_worker_in_two_places_at_once(self, world):
        other = ElevatorFactory(use_unit=world["use_a"], maintenance_firm=world["firm_a"])
        start = timezone.now() - timedelta(hours=3)
        make_record(world, started=start, minutes=60)
        make_record(world, elevator=other, started=start + timedelta(minutes=30), minutes=60)
        make_record(world, elevator=other, started=start + timedelta(minutes=60), minutes=30)  # touches, no overlap
        [overlap] = integrity.overlapping_workers(**self.window(world))
        assert overlap["worker"] == "王师傅"

    def test_the_page_is_for_regulators(self, world, client):
        client.force_login(world["users"]["maintenance"])
        assert client.get("/maintenance/integrity/").status_code == 403
        client.force_login(world["users"]["district"])
        assert client.get("/maintenance/integrity/").status_code == 200

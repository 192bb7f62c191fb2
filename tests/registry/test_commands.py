import pytest
from django.core.management import call_command

from accounts.choices import Role
from accounts.models import User
from registry.choices import OrganizationKind
from registry.models import District, Elevator, Organization
from registry.validators import registration_code_errors


@pytest.mark.slow  # the whole demo, twice
@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_complete(settings):
    settings.DEMO_PASSWORD = "secret-demo"
    call_command("seed_demo")
    counts = (Elevator.objects.count(), Organization.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Elevator.objects.count(), Organization.objects.count(), User.objects.count()) == counts

    assert District.objects.count() == 6
    assert Elevator.objects.count() >= 2000
    assert Organization.objects.filter(kind=OrganizationKind.USE_UNIT).count() == 30
    assert Organization.objects.filter(kind=OrganizationKind.MAINTENANCE).count() == 8
    assert Organization.objects.filter(kind=OrganizationKind.INSPECTION).count() == 2
    assert Organization.objects.filter(name="攀枝花市住房和城乡建设局").exists()
    for role in Role.values:
        user = User.objects.get(role=role)
        assert user.check_password("secret-demo")
        user.full_clean(exclude=["password"])
    assert User.objects.get(username="admin").is_superuser

    from maintenance.models import Fault, MaintenanceContract, MaintenanceRecord

    assert MaintenanceContract.objects.count() > 30 and MaintenanceRecord.objects.filter(status="submitted").exists()
    assert Fault.objects.filter(kind="entrapment").exists()
    # The demo's trapped reports are past rescues: nothing is left open for the escalation ladder to alarm about.
    from django.utils import timezone

    from rescue.selectors import open_incident_q

    assert not Fault.objects.filter(open_incident_q(now=timezone.now())).exists()
    assert Fault.objects.filter(incident_reports__isnull=False, released_at__isnull=False).exists()
    from notifications.models import OutboxMessage

    assert not OutboxMessage.objects.filter(state="pending").exists()  # past rescues: nothing left to send
    # TSG T5002-2017: the demo use-unit login is its unit's certified 安全管理员, so it confirms its records.
    from accounts import access

    wuye = User.objects.get(username="wuye")
    waiting = MaintenanceRecord.objects.filter(status="submitted", elevator__use_unit=wuye.organization).first()
    assert waiting is not None and access.can_confirm_record(wuye, waiting)
    # every elevator with a use unit and a firm is covered by an active contract
    assert (
        not Elevator.objects.filter(maintenance_firm__isnull=False, use_unit__isnull=False)
        .exclude(contract_coverage__active=True)
        .exists()
    )

    years = {d.year for d in Elevator.objects.values_list("commission_date", flat=True)}
    assert max(years) - min(years) >= 24  # spread over 25 years
    for elevator in Elevator.objects.select_related("district")[:500]:
        assert (
            registration_code_errors(
                elevator.registration_code, elevator_type=elevator.elevator_type, district_code=elevator.district.code
            )
            == []
        )


@pytest.mark.slow  # the demo and thousands of generated elevators
@pytest.mark.django_db
def test_generate_scale_data_makes_valid_unique_elevators_and_keeps_demo_data():
    call_command("seed_demo")
    demo = Elevator.objects.count()
    call_command("generate_scale_data", elevators=12000, no_history=True)
    assert Elevator.objects.count() == demo + 12000
    call_command("generate_scale_data", elevators=3000, no_history=True)
    assert Elevator.objects.count() == demo + 3000
    sample = Elevator.objects.select_related("district").order_by("?")[:300]
    for elevator in sample:
        assert (
            registration_code_errors(
                elevator.registration_code, elevator_type=elevator.elevator_type, district_code=elevator.district.code
            )
            == []
        )

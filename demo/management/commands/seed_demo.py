"""Load the Panzhihua demo data and one login per role. Safe to run again: nothing is duplicated."""

import random
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from complaints.demo import seed_complaints
from departments.plan import ensure_plan
from inspections.demo import seed_inspections
from maintenance.credit.services import credit_evaluate
from maintenance.demo import seed_maintenance
from registry.choices import PersonKind
from registry.demo import build_elevators, ensure_districts, ensure_organizations
from registry.models import Elevator, Person

DEMO_ELEVATORS = 2400
SEED = 2019  # the year of the plan, 攀办发〔2019〕92号


def demo_users(orgs) -> list[tuple[str, str, str, object, bool]]:
    """(username, full name, role, organisation, is_staff) for one login per role."""
    city, dongqu = orgs["regulator"][0], orgs["regulator"][1]
    jianshe = next(o for o in orgs["department"] if o.name == "攀枝花市住房和城乡建设局")
    return [
        ("city", "市局监管员", Role.CITY_REGULATOR, city, True),
        ("dongqu", "东区监管员", Role.DISTRICT_REGULATOR, dongqu, True),
        ("wuye", "物业安全管理员", Role.USE_UNIT, orgs["use_unit"][0], False),
        ("weibao", "维保作业人员", Role.MAINTENANCE, orgs["maintenance"][0], False),
        ("jianyan", "检验员", Role.INSPECTION, orgs["inspection"][0], False),
        ("jianshe", "住建局工作人员", Role.DEPARTMENT, jianshe, False),
    ]


class Command(BaseCommand):
    help = "Load demo data for Panzhihua (districts, departments, companies, 2,400 elevators, one user per role)."

    @transaction.atomic
    def handle(self, *args, **options):
        rng = random.Random(SEED)
        today = timezone.localdate()
        districts = ensure_districts()
        orgs = ensure_organizations(districts, rng)
        ensure_plan()  # departments, duties, the 14 tasks and the complaint routing table
        self._people(orgs, today)
        created = 0
        if not Elevator.objects.filter(use_unit__in=orgs["use_unit"]).exists():
            elevators = build_elevators(count=DEMO_ELEVATORS, districts=districts, orgs=orgs, rng=rng, today=today)
            Elevator.objects.bulk_create(elevators, batch_size=1000)
            created = len(elevators)
        self._users(orgs)
        users = {u.username: u for u in User.objects.select_related("organization")}
        inspections = seed_inspections(orgs=orgs, users=users, today=today, rng=rng)
        maintenance = seed_maintenance(users=users, today=today, rng=rng)
        seed_complaints(today=today, rng=rng)  # every state of the workflow; `jianshe` gets 住建局's categories
        credit_evaluate(today=today)  # this month's grades (idempotent)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Elevator.objects.count()} elevators ({created} new), "
                f"{inspections} new inspections, {maintenance.get('records', 0)} new maintenance records, "
                f"{maintenance.get('faults', 0)} new faults, {len(demo_users(orgs)) + 1} demo logins."
            )
        )
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        self.stdout.write("  admin    系统管理员 (superuser)")
        for username, _name, role, org, _ in demo_users(orgs):
            self.stdout.write(f"  {username:8} {Role(role).label} · {org.name}")

    def _people(self, orgs, today):
        n = 0
        for org in orgs["use_unit"]:
            n += 1
            Person.objects.get_or_create(
                certificate_no=f"TSA{n:06d}",
                defaults={
                    "name": f"安全管理员{n:02d}",
                    "kind": PersonKind.SAFETY_MANAGER,
                    "organization": org,
                    "certificate_valid_until": today + timedelta(days=30 if n == 1 else 300 + 10 * n),
                    "phone": f"1390812{n:04d}",
                },
            )
        for i, org in enumerate(orgs["maintenance"]):
            for j in range(6):
                n += 1
                # The last worker of each firm has a lapsed certificate: records naming them must be refused.
                valid = today - timedelta(days=10) if j == 5 else today + timedelta(days=200 + 30 * j)
                Person.objects.get_or_create(
                    certificate_no=f"TST{n:06d}",
                    defaults={
                        "name": f"维保员{i + 1}-{j + 1}",
                        "kind": PersonKind.MAINTENANCE_WORKER,
                        "organization": org,
                        "certificate_valid_until": valid,
                        "phone": f"1380812{n:04d}",
                    },
                )
        for org in orgs["inspection"]:
            for _ in range(4):
                n += 1
                Person.objects.get_or_create(
                    certificate_no=f"TSI{n:06d}",
                    defaults={
                        "name": f"检验员{n:02d}",
                        "kind": PersonKind.INSPECTOR,
                        "organization": org,
                        "certificate_valid_until": today + timedelta(days=500),
                        "phone": f"1370812{n:04d}",
                    },
                )

    def _users(self, orgs):
        password = settings.DEMO_PASSWORD
        admin, _ = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "first_name": "系统管理员"}
        )
        admin.set_password(password)
        admin.save()
        for username, name, role, org, is_staff in demo_users(orgs):
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={"first_name": name, "role": role, "organization": org, "is_staff": is_staff},
            )
            user.set_password(password)
            user.save()

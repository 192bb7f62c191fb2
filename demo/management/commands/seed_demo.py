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
from iot.demo import seed_iot_demo
from maintenance.credit.services import credit_evaluate
from maintenance.demo import seed_maintenance
from preparedness.demo import seed_preparedness
from registry.choices import PersonKind
from registry.demo import build_elevators, chinese_name, ensure_districts, ensure_organizations
from registry.models import Elevator, Person
from rescue.demo import seed_rescue

DEMO_ELEVATORS = 2400
SEED = 2019  # the year of the plan, 《攀枝花市加强电梯质量安全工作实施方案》 (攀办发〔2019〕92号)
# The demo people's numbers (chinese_name(n) is the name of person n): a safety manager per use unit, six workers
# per maintenance firm, four inspectors per agency, in this order; staff without a certificate come after them.
FIRST_SAFETY_MANAGER, FIRST_WORKER, FIRST_INSPECTOR, FIRST_STAFF = 1, 31, 79, 101


def demo_users(orgs) -> list[tuple[str, str, str, object, bool]]:
    """(username, full name, role, organisation, is_staff) for one login per role. `wuye` is the first use unit's
    safety manager and `weibao` its firm's first worker (their Person rows are linked to these logins), `jianyan`
    the first agency's first inspector; the others are staff without a certificate."""
    city, dongqu = orgs["regulator"][0], orgs["regulator"][1]
    jianshe = next(o for o in orgs["department"] if o.name == "攀枝花市住房和城乡建设局")
    return [
        ("city", chinese_name(FIRST_STAFF), Role.CITY_REGULATOR, city, True),
        ("dongqu", chinese_name(FIRST_STAFF + 1), Role.DISTRICT_REGULATOR, dongqu, True),
        ("wuye", chinese_name(FIRST_SAFETY_MANAGER), Role.USE_UNIT, orgs["use_unit"][0], False),
        ("weibao", chinese_name(FIRST_WORKER), Role.MAINTENANCE, orgs["maintenance"][0], False),
        ("jianyan", chinese_name(FIRST_INSPECTOR), Role.INSPECTION, orgs["inspection"][0], False),
        ("jianshe", chinese_name(FIRST_STAFF + 2), Role.DEPARTMENT, jianshe, False),
        # Plan §2(10): an operator of the 96333 centre, run by the city's market supervision bureau.
        ("jiuyuan", chinese_name(FIRST_STAFF + 3), Role.RESCUE_CENTRE, city, False),
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
        seed_rescue(today=today)  # the firms' duty rosters
        # A few IoT devices on the demo firm's elevators (manage.py replay_iot_events sends them sample events).
        seed_iot_demo(
            elevators=Elevator.objects.filter(maintenance_firm=orgs["maintenance"][0], status="in_use").order_by("pk")
        )
        # Plan §2(7), §2(12): safety managers, emergency plans, drills and liability insurance in every state.
        seed_preparedness(today=today, author=users["wuye"])
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
        """The certified people (条例 §38), with plausible names; a name that an older demo gave differently is
        brought up to date, nothing else of an existing person is touched."""
        people = []  # (certificate number, person number, kind, organisation, valid until, phone)
        n = FIRST_SAFETY_MANAGER - 1
        for org in orgs["use_unit"]:
            n += 1
            # The first safety manager's certificate runs out within the month: the reminders show it.
            valid = today + timedelta(days=30 if n == 1 else 300 + 10 * n)
            people.append((f"TSA{n:06d}", n, PersonKind.SAFETY_MANAGER, org, valid, f"1390812{n:04d}"))
        n = FIRST_WORKER - 1
        for org in orgs["maintenance"]:
            for j in range(6):
                n += 1
                # The last worker of each firm has a lapsed certificate: records naming them must be refused.
                valid = today - timedelta(days=10) if j == 5 else today + timedelta(days=200 + 30 * j)
                people.append((f"TST{n:06d}", n, PersonKind.MAINTENANCE_WORKER, org, valid, f"1380812{n:04d}"))
        n = FIRST_INSPECTOR - 1
        for org in orgs["inspection"]:
            for _ in range(4):
                n += 1
                valid = today + timedelta(days=500)
                people.append((f"TSI{n:06d}", n, PersonKind.INSPECTOR, org, valid, f"1370812{n:04d}"))
        for certificate_no, n, kind, org, valid, phone in people:
            person, created = Person.objects.get_or_create(
                certificate_no=certificate_no,
                defaults={
                    "name": chinese_name(n),
                    "kind": kind,
                    "organization": org,
                    "certificate_valid_until": valid,
                    "phone": phone,
                },
            )
            if not created and person.name != chinese_name(n):
                Person.objects.filter(pk=person.pk).update(name=chinese_name(n))

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
            if role == Role.USE_UNIT:
                # TSG T5002-2017: only the unit's certified 安全管理员 confirms records, so the demo login is one.
                manager = Person.objects.filter(organization=org, kind=PersonKind.SAFETY_MANAGER).order_by("pk").first()
                if manager is not None and manager.user_id != user.pk:
                    Person.objects.filter(user=user).update(user=None)
                    Person.objects.filter(pk=manager.pk).update(user=user)

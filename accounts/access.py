"""Who may see and change what: the one place that decides (docs/rules.md "Who sees what").

Pages, the API, exports, file downloads and the admin all scope their querysets and check their writes
through these functions; nothing else filters by role.

- Anonymous public: public pages only (they never use these querysets).
- Use-unit staff: their own elevators.
- Maintenance-firm staff: elevators they maintain.
- Inspection-agency staff: inspections assigned to their agency (and so no registry list of their own).
- Department staff: complaints routed to their department (and so no registry list of their own).
- District regulators: everything in their district. City regulators (and superusers): everything.
"""

from datetime import date

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .choices import Role

REGULATOR_ROLES = (Role.CITY_REGULATOR, Role.DISTRICT_REGULATOR)


def _rows(model: str, queryset: QuerySet | None) -> QuerySet:
    """The queryset to scope: the caller's, or all rows of `model` ("app_label.Model").

    accounts sits below every domain app (docs/architecture.md), so it names their models rather than importing
    them; the domain apps import this module."""
    return apps.get_model(model).objects.all() if queryset is None else queryset


def is_city_wide(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role == Role.CITY_REGULATOR)


def is_regulator(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in REGULATOR_ROLES)


def _has_role(user, *roles: str) -> bool:
    return user.is_authenticated and user.role in roles


def works_for_firm(user) -> bool:
    """Maintenance-firm staff (a fault they report comes from the firm, TSG T5002 §5)."""
    return _has_role(user, Role.MAINTENANCE)


def is_rescue_centre(user) -> bool:
    """An operator of the 96333 centre (plan §2(10)): takes entrapment calls for every elevator of the city."""
    return _has_role(user, Role.RESCUE_CENTRE)


def works_for_department(user) -> bool:
    """Staff of a responsible department (plan §2(8)): their complaint queue starts from what is still open."""
    return _has_role(user, Role.DEPARTMENT)


def districts_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The districts and counties a user may pick (filters, dashboards, the district of a new elevator or
    organisation): a district regulator only their own, everyone else all five, ordered by division code.

    Organisation staff see rows by their organisation, which may lie in any district; the city itself is no
    district to pick (city-level organisations have none)."""
    qs = _rows("registry.District", queryset).exclude(level="city").order_by("code")
    if not user.is_authenticated:
        return qs.none()
    if _has_role(user, Role.DISTRICT_REGULATOR) and not is_city_wide(user):
        return qs.filter(pk=user.district_id)
    return qs


def _scoped(
    user, qs: QuerySet, *, district: str, use_unit: str, firm: str | None, agency: str | None = None
) -> QuerySet:
    """The one rule of who sees what, applied to any rows: each argument names the lookup that leads from a row
    to the district, the use unit, the maintenance firm (and the inspection agency) it belongs to."""
    if not user.is_authenticated:
        return qs.none()
    if is_city_wide(user):
        return qs
    if user.role == Role.DISTRICT_REGULATOR:
        return qs.filter(**{district: user.district_id})
    path = {Role.USE_UNIT: use_unit, Role.MAINTENANCE: firm, Role.INSPECTION: agency}.get(user.role)
    return qs.filter(**{path: user.organization_id}) if path else qs.none()


def scope_key(user) -> str | None:
    """A name for the rows `_scoped` lets this user see, the same for every user who sees the same rows: "city",
    "district-<id>", "<role>-<organisation id>"; None for a user who sees none (e.g. for cache keys of figures)."""
    if not user.is_authenticated:
        return None
    if is_city_wide(user):
        return "city"
    if user.role == Role.DISTRICT_REGULATOR:
        return f"district-{user.district_id}" if user.district_id else None
    if user.role in (Role.USE_UNIT, Role.MAINTENANCE, Role.INSPECTION) and user.organization_id:
        return f"{user.role}-{user.organization_id}"
    return None


def elevators_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The elevators a user may see."""
    qs = _rows("registry.Elevator", queryset)
    return _scoped(user, qs, district="district_id", use_unit="use_unit_id", firm="maintenance_firm_id")


def can_view_registry(user) -> bool:
    """Whether the registry pages (elevator list, organisation list) are for this user at all."""
    return user.is_authenticated and (is_regulator(user) or user.role in (Role.USE_UNIT, Role.MAINTENANCE))


def district_regulators(queryset: QuerySet | None = None) -> QuerySet:
    """Active district regulators: each hears of what happens in their district (e.g. the daily digest)."""
    return _rows("accounts.User", queryset).filter(is_active=True, role=Role.DISTRICT_REGULATOR)


def city_regulators(queryset: QuerySet | None = None) -> QuerySet:
    """Active city regulators: they hear of what concerns the whole city (e.g. next year's holiday calendar missing,
    an overdue complaint whose department and district have no one to tell)."""
    return _rows("accounts.User", queryset).filter(is_active=True, role=Role.CITY_REGULATOR)


def rescue_centre_users(queryset: QuerySet | None = None) -> QuerySet:
    """The active operators of the 96333 centre (the escalation ladder's second rung, plan §2(10))."""
    return _rows("accounts.User", queryset).filter(is_active=True, role=Role.RESCUE_CENTRE)


def elevators_to_report_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The elevators a user may report a fault or an entrapment of: those they see, and for the 96333 centre every
    elevator of the city (it takes the call for any of them by the rescue code on its sign, plan §2(10)), though
    it sees no registry pages."""
    qs = _rows("registry.Elevator", queryset)
    return qs if is_rescue_centre(user) else elevators_for(user, qs)


def can_change_elevator(user, elevator=None) -> bool:
    """Regulators keep the registry (特种设备使用登记); a district regulator only within the district."""
    if is_city_wide(user):
        return True
    if user.is_authenticated and user.role == Role.DISTRICT_REGULATOR:
        return elevator is None or elevator.district_id == user.district_id
    return False


def organizations_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Organisations are public business information (plan §2(11) 信息公示) for every signed-in user."""
    qs = _rows("registry.Organization", queryset)
    return qs if user.is_authenticated else qs.none()


def can_change_organization(user, organization=None) -> bool:
    if is_city_wide(user):
        return True
    if user.is_authenticated and user.role == Role.DISTRICT_REGULATOR:
        return organization is None or organization.district_id == user.district_id
    return False


def users_needing_organization_kind(organization, kind: str, queryset: QuerySet | None = None) -> QuerySet:
    """The users of `organization` whose role needs it to be of `kind` (accounts.models.ROLE_ORGANIZATION_KIND):
    while there are any, its kind may not change (issue 14: a firm with a login turned into a use unit)."""
    from .models import ROLE_ORGANIZATION_KIND  # when called: this module imports no models at load (see _rows)

    roles = [role for role, needed in ROLE_ORGANIZATION_KIND.items() if needed == kind]
    return _rows("accounts.User", queryset).filter(organization=organization, role__in=roles)


def person_organizations_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The organisations a user may register certified people for (the admin's choices and its save): a district
    regulator those of the district (people_for shows them by their organisation's district), the city all
    (issue 14: no adding workers to other districts' firms)."""
    qs = organizations_for(user, queryset)
    if is_city_wide(user):
        return qs
    if _has_role(user, Role.DISTRICT_REGULATOR):
        return qs.filter(district_id=user.district_id)
    return qs.none()


def can_change_person(user, person=None) -> bool:
    """Regulators keep the register of certified people, each for the organisations of their scope
    (person_organizations_for); without a person: whether the user registers people at all."""
    if not is_regulator(user):
        return False
    return person is None or person_organizations_for(user).filter(pk=person.organization_id).exists()


def people_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Certified people carry personal data: regulators in scope, and each organisation its own staff."""
    qs = _rows("registry.Person", queryset)
    if not user.is_authenticated:
        return qs.none()
    if is_city_wide(user):
        return qs
    if user.role == Role.DISTRICT_REGULATOR:
        return qs.filter(Q(organization__district_id=user.district_id))
    if user.organization_id:
        return qs.filter(organization_id=user.organization_id)
    return qs.none()


def can_import(user) -> bool:
    """Bulk imports write the registry, so they are for those who may change it."""
    return can_change_elevator(user)


def import_jobs_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """An import job and its report are seen by whoever started it, and by city-wide staff."""
    qs = _rows("registry.ImportJob", queryset)
    if not user.is_authenticated:
        return qs.none()
    if is_city_wide(user):
        return qs
    return qs.filter(created_by=user)


def can_use_admin_for(user, model) -> bool:
    """The admin is a regulator's tool; everyone else works through the pages and the API."""
    return user.is_active and user.is_staff and (user.is_superuser or is_regulator(user))


# ---------------------------------------------------------------- inspections (特种设备安全法 §40; plan §2(3), §2(7))


def _by_elevator_scope(user, qs: QuerySet, elevator_path: str, agency_path: str | None) -> QuerySet:
    """Scope rows that hang off an elevator (and, for agency staff, off their agency)."""
    return _scoped(
        user,
        qs,
        district=f"{elevator_path}__district_id",
        use_unit=f"{elevator_path}__use_unit_id",
        firm=f"{elevator_path}__maintenance_firm_id",
        agency=f"{agency_path}_id" if agency_path else None,
    )


def inspection_applications_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("inspections.InspectionApplication", queryset)
    return _by_elevator_scope(user, qs, "elevator", "agency")


def inspections_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Inspections, and so their report files: agency staff see those of their agency."""
    qs = _rows("inspections.Inspection", queryset)
    return _by_elevator_scope(user, qs, "elevator", "agency")


def defects_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("inspections.Defect", queryset)
    return _by_elevator_scope(user, qs, "inspection__elevator", "inspection__agency")


def can_view_inspection_applications(user) -> bool:
    """Use units file applications with agencies (plan §2(7)); regulators watch them."""
    return is_regulator(user) or _has_role(user, Role.USE_UNIT, Role.INSPECTION)


def can_view_inspection_calendar(user) -> bool:
    """The calendar of scheduled inspections: the agency's working plan, watched by regulators."""
    return is_regulator(user) or _has_role(user, Role.INSPECTION)


def can_apply_for_inspection(user, elevator=None) -> bool:
    """The use unit applies for its own elevators (plan §2(7)); without an elevator: for any of them."""
    return _has_role(user, Role.USE_UNIT) and (elevator is None or elevator.use_unit_id == user.organization_id)


def can_handle_application(user, application=None) -> bool:
    """Only the agency an application was filed with accepts, rejects, schedules and records it; without an
    application: whether the user works for an agency (whose queue starts from the open applications)."""
    return _has_role(user, Role.INSPECTION) and (application is None or application.agency_id == user.organization_id)


def can_record_inspection(user, agency_id: int) -> bool:
    return user.is_authenticated and user.role == Role.INSPECTION and agency_id == user.organization_id


def can_rectify_defect(user, defect) -> bool:
    """The use unit records the rectification of defects on its elevators."""
    return (
        user.is_authenticated
        and user.role == Role.USE_UNIT
        and defect.inspection.elevator.use_unit_id == user.organization_id
    )


# ---------------------------------------------------------------- maintenance (条例 §31; TSG T5002-2017; plan §2(2))


def can_view_maintenance(user) -> bool:
    """Maintenance records, contracts and faults hang off elevators: they are for those who see elevators."""
    return can_view_registry(user)


def maintenance_records_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Records, and so their attachments: a firm sees the records it wrote, others by their elevators."""
    qs = _rows("maintenance.MaintenanceRecord", queryset)
    if user.is_authenticated and user.role == Role.MAINTENANCE:
        return qs.filter(firm_id=user.organization_id)
    return _by_elevator_scope(user, qs, "elevator", None)


def contracts_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("maintenance.MaintenanceContract", queryset)
    return _scoped(user, qs, district="use_unit__district_id", use_unit="use_unit_id", firm="firm_id")


def faults_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("maintenance.Fault", queryset)
    if is_rescue_centre(user):
        return qs
    if user.is_authenticated and user.role == Role.MAINTENANCE:
        return qs.filter(Q(firm_id=user.organization_id) | Q(elevator__maintenance_firm_id=user.organization_id))
    return _by_elevator_scope(user, qs, "elevator", None)


def can_create_maintenance_record(user) -> bool:
    """Maintenance records are written by the staff of a maintenance firm (条例 §31), for the firm."""
    return _has_role(user, Role.MAINTENANCE) and user.organization_id is not None


def can_write_maintenance_for(user, elevator) -> bool:
    """A firm writes records only for elevators under its active contract (the elevator's current firm)."""
    return can_create_maintenance_record(user) and elevator.maintenance_firm_id == user.organization_id


def can_amend_record(user, record) -> bool:
    """The firm that uploaded a record corrects it, and may withdraw it until it is confirmed."""
    return can_create_maintenance_record(user) and record.firm_id == user.organization_id


# registry.choices.PersonKind.SAFETY_MANAGER, named rather than imported (accounts sits below registry).
SAFETY_MANAGER = "safety_manager"
CONFIRM_REFUSED = gettext_lazy("只有本单位持有效证书的安全管理员可以确认维保记录。")


def is_safety_manager(user, use_unit_id: int | None, *, on: date | None = None) -> bool:
    """Whether `user` signs in as the designated 安全管理员 of use unit `use_unit_id` on day `on` (default today).

    TSG T5002-2017, 特种设备安全监察条例 §33, plan §2(7): the use unit names its safety manager, a certified person.
    The designation is a registry Person of kind 安全管理员 belonging to that use unit, linked to this use-unit login
    (Person.user), whose certificate is valid on the day (through its last day). One query per request at most:
    the person is read through `user.person` and kept on the user.
    """
    if not _has_role(user, Role.USE_UNIT) or use_unit_id is None or user.organization_id != use_unit_id:
        return False
    person = getattr(user, "person", None)  # None when no Person is linked to the login
    return (
        person is not None
        and person.kind == SAFETY_MANAGER
        and person.organization_id == use_unit_id
        and person.certificate_valid_on(on or timezone.localdate())
    )


def can_confirm_record(user, record=None) -> bool:
    """Only the designated 安全管理员 of the elevator's use unit, certificate valid today, confirms its records
    (TSG T5002-2017; 条例 §33); without a record: whether the user confirms records at all (and so starts from
    those awaiting confirmation)."""
    use_unit_id = getattr(user, "organization_id", None) if record is None else record.elevator.use_unit_id
    return is_safety_manager(user, use_unit_id)


def record_confirm_refusal(user, record) -> str:
    """What a login of the record's use unit reads in place of the confirm button when it may not confirm (not the
    designated safety manager, or the certificate has lapsed); empty for everyone else."""
    if _has_role(user, Role.USE_UNIT) and record.elevator.use_unit_id == user.organization_id:
        return "" if can_confirm_record(user, record) else str(CONFIRM_REFUSED)
    return ""


def can_manage_contracts(user, use_unit=None) -> bool:
    """Contracts are registered by the use unit (its own) or by regulators (a district's within the district)."""
    if is_city_wide(user):
        return True
    if not user.is_authenticated:
        return False
    if user.role == Role.DISTRICT_REGULATOR:
        return use_unit is None or use_unit.district_id == user.district_id
    return user.role == Role.USE_UNIT and (use_unit is None or use_unit.pk == user.organization_id)


def contract_use_units_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Of the use units in `queryset`, those a user may register contracts for (the rule of can_manage_contracts):
    regulators all in scope, a use unit itself."""
    qs = _rows("registry.Organization", queryset)
    if is_city_wide(user):
        return qs
    if _has_role(user, Role.DISTRICT_REGULATOR):
        return qs.filter(district_id=user.district_id)
    if _has_role(user, Role.USE_UNIT):
        return qs.filter(pk=user.organization_id)
    return qs.none()


def can_record_fault(user, elevator) -> bool:
    """Faults come from the elevator's firm, its use unit, the 96333 centre or regulators in scope."""
    return (
        is_rescue_centre(user)
        or is_regulator(user)
        and elevators_for(user).filter(pk=elevator.pk).exists()
        or (
            user.is_authenticated
            and user.role in (Role.MAINTENANCE, Role.USE_UNIT)
            and user.organization_id in (elevator.maintenance_firm_id, elevator.use_unit_id)
        )
    )


def can_update_fault(user, fault) -> bool:
    """Rescue timings and the cause are written by the firm the fault was recorded against, the elevator's use
    unit, or regulators whose scope covers the elevator."""
    if not user.is_authenticated:
        return False
    if is_rescue_centre(user):
        return True  # plan §2(10): the centre records the rescue on a firm's behalf (the history keeps who)
    if is_regulator(user):
        return elevators_for(user).filter(pk=fault.elevator_id).exists()
    if user.organization_id is None:
        return False
    if user.role == Role.MAINTENANCE:
        return fault.firm_id == user.organization_id
    if user.role == Role.USE_UNIT:
        return fault.elevator.use_unit_id == user.organization_id
    return False


# ---------------------------------------------------------------- the rescue loop (plan §2(10); TSG T5002-2017 §5)


def can_view_rescue_console(user) -> bool:
    """The rescue console: the 96333 centre and regulators (incidents in scope), firms (their own), use units
    (their elevators': they are the first responsible, 使用单位为主)."""
    return is_rescue_centre(user) or is_regulator(user) or _has_role(user, Role.MAINTENANCE, Role.USE_UNIT)


def can_open_incidents_by_phone(user) -> bool:
    """Opening an incident from a phone call, by rescue code (the 96333 centre; regulators in scope)."""
    return is_rescue_centre(user) or is_regulator(user)


def can_log_rescue_calls(user, fault=None) -> bool:
    """The centre's call log and the 119/110/120 linkage: the centre, and regulators whose scope has the elevator."""
    if is_rescue_centre(user):
        return True
    if not is_regulator(user):
        return False
    return fault is None or elevators_for(user).filter(pk=fault.elevator_id).exists()


def duty_shifts_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """A firm sees its own roster; the centre and the city all; a district regulator the firms of the district."""
    qs = _rows("rescue.DutyShift", queryset)
    if is_rescue_centre(user) or is_city_wide(user):
        return qs
    if _has_role(user, Role.DISTRICT_REGULATOR):
        return qs.filter(firm__district_id=user.district_id)
    if _has_role(user, Role.MAINTENANCE):
        return qs.filter(firm_id=user.organization_id)
    return qs.none()


def can_manage_duty_roster(user, firm_id: int | None = None) -> bool:
    """The firm keeps its own roster (TSG T5002-2017 §5: 24-hour duty)."""
    return (
        _has_role(user, Role.MAINTENANCE)
        and user.organization_id is not None
        and (firm_id is None or firm_id == user.organization_id)
    )


def outbox_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The delivery state of alarm messages: the city regulators and the centre all, a district regulator their
    district's."""
    qs = _rows("notifications.OutboxMessage", queryset)
    if is_rescue_centre(user) or is_city_wide(user):
        return qs
    if _has_role(user, Role.DISTRICT_REGULATOR):
        return qs.filter(district_id=user.district_id)
    return qs.none()


def can_view_outbox(user) -> bool:
    return is_rescue_centre(user) or is_regulator(user)


def devices_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Elevator monitoring devices (GB/T 24476-2017): the centre all, others by the elevators they may see."""
    qs = _rows("iot.Device", queryset)
    if is_rescue_centre(user):
        return qs
    return _by_elevator_scope(user, qs, "elevator", None)


def can_manage_devices(user, elevator=None) -> bool:
    """Registering a device and its secret: the city regulators, and the firm that maintains the elevator (it
    installs and answers for the device)."""
    if is_city_wide(user):
        return True
    return (
        _has_role(user, Role.MAINTENANCE)
        and user.organization_id is not None
        and (elevator is None or elevator.maintenance_firm_id == user.organization_id)
    )


def can_view_duty_roster(user) -> bool:
    """The roster pages: the firm keeps its own; the centre and regulators read the rosters of their scope."""
    return can_manage_duty_roster(user) or is_rescue_centre(user) or is_regulator(user)


def can_see_incident_reporters(user, fault) -> bool:
    """A reporter's name and phone are for the centre, regulators and the firm on the incident; never public
    (个人信息保护法 §6: no more than the purpose needs)."""
    if is_rescue_centre(user) or is_regulator(user):
        return True
    return (
        _has_role(user, Role.MAINTENANCE)
        and user.organization_id is not None
        and user.organization_id in (fault.firm_id, fault.elevator.maintenance_firm_id)
    )


def faults_user_may_update(user, faults) -> set[int]:
    """can_update_fault for the rows of a list at once (the rescue console's buttons): at most one query."""
    faults = list(faults)
    if not faults or not user.is_authenticated:
        return set()
    if is_rescue_centre(user):
        return {f.pk for f in faults}
    if is_regulator(user):
        scope = set(elevators_for(user).filter(pk__in={f.elevator_id for f in faults}).values_list("pk", flat=True))
        return {f.pk for f in faults if f.elevator_id in scope}
    return {f.pk for f in faults if can_update_fault(user, f)}


# ---------------------------------------------------------------- preparedness (plan §2(7), §2(12); TSG T5002-2017)
# What a use unit keeps ready: safety management, emergency plans and drills, liability insurance, use certificates.
# The use unit keeps its own; regulators see and correct those of their scope (a district regulator: use units of the
# district); a maintenance firm sees and records the drills it takes part in, reads the plans covering elevators it
# maintains and sees who answers for them. Nobody else sees any of it (the public page shows only "registered" and
# "insured", no details).


def can_view_preparedness(user) -> bool:
    """Whether the preparedness pages are for this user at all (the menu; others get 403)."""
    return user.is_authenticated and (is_regulator(user) or user.role in (Role.USE_UNIT, Role.MAINTENANCE))


def can_view_preparedness_overview(user) -> bool:
    """The regulators' overview by district, with the lists of what is missing city- or district-wide."""
    return is_regulator(user)


def can_manage_preparedness(user, use_unit=None) -> bool:
    """Safety management, certificates, plans, policies and claims are written by the use unit for itself, or by a
    regulator for a use unit of the scope; without a use unit: whether the user writes any at all."""
    if is_city_wide(user):
        return True
    if _has_role(user, Role.DISTRICT_REGULATOR):
        return use_unit is None or use_unit.district_id == user.district_id
    if _has_role(user, Role.USE_UNIT) and user.organization_id:
        return use_unit is None or use_unit.pk == user.organization_id
    return False


def preparedness_use_units_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The use units a user may write preparedness records for (the rule of can_manage_preparedness)."""
    return contract_use_units_for(user, queryset)


def can_record_drill(user, drill=None) -> bool:
    """Drills are planned and recorded by the use unit, by regulators in scope, and by the maintenance firm that
    drills with the use unit (TSG T5002-2017): a firm only the drills it takes part in."""
    if can_manage_preparedness(user, drill.use_unit if drill is not None else None):
        return True
    if _has_role(user, Role.MAINTENANCE) and user.organization_id:
        return drill is None or drill.firm_id == user.organization_id
    return False


def safety_managements_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("preparedness.SafetyManagement", queryset)
    return _scoped(user, qs, district="use_unit__district_id", use_unit="use_unit_id", firm=None)


def safety_assignments_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Who answers for which elevator: by the elevators a user may see (a firm knows whom to call)."""
    qs = _rows("preparedness.SafetyAssignment", queryset)
    return _scoped(
        user,
        qs,
        district="elevator__district_id",
        use_unit="elevator__use_unit_id",
        firm="elevator__maintenance_firm_id",
    )


def emergency_plans_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """A use unit's plans; a maintenance firm reads those covering an elevator it maintains, since it drills by them
    with the use unit (TSG T5002-2017)."""
    qs = _rows("preparedness.EmergencyPlan", queryset)
    if _has_role(user, Role.MAINTENANCE) and user.organization_id:
        covered = apps.get_model("preparedness.EmergencyPlan").elevators.through.objects.filter(
            emergencyplan=OuterRef("pk"), elevator__maintenance_firm_id=user.organization_id
        )
        return qs.filter(Exists(covered))
    return _scoped(user, qs, district="use_unit__district_id", use_unit="use_unit_id", firm=None)


def drills_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("preparedness.Drill", queryset)
    return _scoped(user, qs, district="use_unit__district_id", use_unit="use_unit_id", firm="firm_id")


def insurance_policies_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("preparedness.InsurancePolicy", queryset)
    return _scoped(user, qs, district="insured__district_id", use_unit="insured_id", firm=None)


def insurance_claims_for(user, queryset: QuerySet | None = None) -> QuerySet:
    qs = _rows("preparedness.InsuranceClaim", queryset)
    return _scoped(user, qs, district="policy__insured__district_id", use_unit="policy__insured_id", firm=None)


def compliance_elevators_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The elevators of the compliance page: a use unit its own, regulators their scope; firms have none."""
    if _has_role(user, Role.MAINTENANCE):
        return _rows("registry.Elevator", queryset).none()
    return elevators_for(user, queryset)


# ---------------------------------------------------------------- key monitoring (plan §2(4))


def risk_flags_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Key-monitoring flags, by the elevators a user may see."""
    qs = _rows("registry.RiskFlag", queryset)
    return _by_elevator_scope(user, qs, "elevator", None)


# ---------------------------------------------------------------- complaints (plan §2(8), §2(10), §2(11))


def complaints_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """A department sees what is routed to it (lead or co-responsible), a district what is in its district,
    the use unit and the firm complaints about their elevators."""
    qs = _rows("complaints.Complaint", queryset)
    if not user.is_authenticated:
        return qs.none()
    if is_city_wide(user):
        return qs
    if user.role == Role.DISTRICT_REGULATOR:
        return qs.filter(district_id=user.district_id)
    if user.role == Role.DEPARTMENT:
        mine = Q(department__organization_id=user.organization_id) | Q(
            co_departments__organization_id=user.organization_id
        )
        return qs.filter(pk__in=qs.model.objects.filter(mine).values("pk"))
    if user.role == Role.USE_UNIT:
        return qs.filter(elevator__use_unit_id=user.organization_id)
    if user.role == Role.MAINTENANCE:
        return qs.filter(elevator__maintenance_firm_id=user.organization_id)
    return qs.none()


def can_handle_complaint(user, complaint) -> bool:
    """The lead department (or a regulator in scope, as 市场监管 staff) moves a complaint through its states."""
    if not user.is_authenticated:
        return False
    if is_city_wide(user):
        return True
    if user.role == Role.DISTRICT_REGULATOR:
        return complaint.district_id == user.district_id
    return user.role == Role.DEPARTMENT and complaint.department.organization_id == user.organization_id


def can_respond_to_complaint(user, complaint) -> bool:
    """The use unit, the maintenance firm and co-responsible departments add responses."""
    if not user.is_authenticated or not user.organization_id:
        return False
    if can_handle_complaint(user, complaint):
        return True
    if user.role in (Role.USE_UNIT, Role.MAINTENANCE) and complaint.elevator_id:
        return user.organization_id in (complaint.elevator.use_unit_id, complaint.elevator.maintenance_firm_id)
    return (
        user.role == Role.DEPARTMENT and complaint.co_departments.filter(organization_id=user.organization_id).exists()
    )


def can_view_complaints(user) -> bool:
    """Whether the staff complaint queue (page, API, export) is for this user at all: regulators, departments,
    use units and maintenance firms; inspection agencies have no complaints of their own."""
    return user.is_authenticated and (
        is_regulator(user) or user.role in (Role.DEPARTMENT, Role.USE_UNIT, Role.MAINTENANCE)
    )


def can_see_internal_complaint_notes(user) -> bool:
    """Internal notes (responses marked 仅内部可见) are for the regulators and the departments; the use unit and
    the firm, who are complained about, see public events and their own (issue 14)."""
    return is_regulator(user) or works_for_department(user)


def can_view_departments_without_supervisor(user) -> bool:
    """Regulators see which departments have no supervisor: their overdue complaints escalate to the district's
    and the city's regulators instead, so it is regulators who have one appointed (city and district alike: the
    list names departments, never people)."""
    return is_regulator(user)


# ---------------------------------------------------------------- plan tasks (plan 二 (一)–(十四); 三(1) 定期分析)


def can_view_plan_tasks(user) -> bool:
    """The plan's 14 tasks and their progress are a working page for regulators and the responsible departments."""
    return is_regulator(user) or (user.is_authenticated and user.role == Role.DEPARTMENT)


def can_report_task_progress(user, district) -> bool:
    """Who may write a progress note for `district` (None: the city level).

    City regulators: the city or any district. District regulators: their own district only. Department staff:
    their organisation's level, i.e. the city for city departments (a district government's staff, their district).
    """
    if is_city_wide(user):
        return True
    if not user.is_authenticated:
        return False
    district_id = getattr(district, "pk", district)
    if user.role == Role.DISTRICT_REGULATOR:
        return district_id is not None and district_id == user.district_id
    if user.role == Role.DEPARTMENT:
        return district_id == user.district_id
    return False


# ---------------------------------------------------------------- the menu and the start page


# Where each role starts its day after signing in (a URL name).
START_PAGES = {
    Role.CITY_REGULATOR: "dashboards:board",
    Role.DISTRICT_REGULATOR: "dashboards:board",
    Role.USE_UNIT: "inspections:my_elevators",
    Role.MAINTENANCE: "maintenance:records",
    Role.INSPECTION: "inspections:applications",
    Role.DEPARTMENT: "complaints:staff_list",
    Role.RESCUE_CENTRE: "rescue:console",
}


def start_page(user) -> str:
    """The URL name of the page a user starts from after signing in."""
    if user.is_authenticated and user.role in START_PAGES:
        return START_PAGES[Role(user.role)]
    return "dashboards:board" if is_regulator(user) else "home"


def menu_for(user) -> dict[str, bool]:
    """Which entries of the main menu a user gets: each is a page the user may open (and finds rows on)."""
    if not user.is_authenticated:
        return {}
    regulator = is_regulator(user)
    return {
        "registry": can_view_registry(user),
        "my_elevators": _has_role(user, Role.USE_UNIT, Role.MAINTENANCE),
        "applications": can_view_inspection_applications(user),
        "calendar": can_view_inspection_calendar(user),
        "inspection_overview": regulator,
        "maintenance": can_view_maintenance(user),
        "contracts": can_view_maintenance(user),
        "faults": can_view_maintenance(user),
        "regulator": regulator,
        "complaints": can_view_complaints(user),
        "plan_tasks": can_view_plan_tasks(user),
        "rescue": can_view_rescue_console(user),
        "duty_roster": can_manage_duty_roster(user) or can_view_outbox(user),
        "preparedness": can_view_preparedness(user),
        "compliance": _has_role(user, Role.USE_UNIT) or regulator,
    }

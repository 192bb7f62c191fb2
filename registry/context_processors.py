from django.conf import settings

from accounts import access
from accounts.choices import Role


def portal(request):
    """Values every page shows: the emergency hotline (DESIGN.md "Hotline") and the menu for the user's role."""
    user = getattr(request, "user", None)
    menu = {}
    if user is not None and user.is_authenticated:
        regulator = access.is_regulator(user)
        menu = {
            "registry": access.can_view_registry(user),
            "my_elevators": user.role in (Role.USE_UNIT, Role.MAINTENANCE),
            "applications": regulator or user.role in (Role.USE_UNIT, Role.INSPECTION),
            "calendar": regulator or user.role == Role.INSPECTION,
            "inspection_overview": regulator,
            "maintenance": regulator or user.role in (Role.USE_UNIT, Role.MAINTENANCE),
            "contracts": regulator or user.role in (Role.USE_UNIT, Role.MAINTENANCE),
            "faults": regulator or user.role in (Role.USE_UNIT, Role.MAINTENANCE),
            "regulator": regulator,
            "complaints": access.can_view_complaints(user),
            "plan_tasks": access.can_view_plan_tasks(user),
        }
    return {"EMERGENCY_HOTLINE": settings.EMERGENCY_HOTLINE, "menu": menu}

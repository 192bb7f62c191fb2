from django.conf import settings

from accounts import access


def portal(request):
    """Values every page shows: the emergency hotline (docs/rules.md "Hotline") and the menu for the user's role."""
    user = getattr(request, "user", None)
    menu = access.menu_for(user) if user is not None else {}
    return {"EMERGENCY_HOTLINE": settings.EMERGENCY_HOTLINE, "menu": menu}

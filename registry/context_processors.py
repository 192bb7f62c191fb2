from django.conf import settings


def portal(request):
    """Values every page shows: the emergency hotline (DESIGN.md "Hotline")."""
    return {"EMERGENCY_HOTLINE": settings.EMERGENCY_HOTLINE}

def unread(request):
    """The unread count in the navigation bar (one indexed COUNT query, only for signed-in users)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    from .models import Notification

    return {
        "unread_notifications": lambda: Notification.objects.filter(
            recipient=request.user, read_at__isnull=True
        ).count()
    }

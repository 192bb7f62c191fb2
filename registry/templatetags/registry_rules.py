"""The registry's rule settings for templates, so a label names the window the figures were counted with."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def inspection_expiring_days() -> int:
    """Days before its validity ends that a lift shows as expiring (plan §2(7)); `{% ... as days %}` in templates."""
    return settings.INSPECTION_EXPIRING_DAYS

"""The inspection rules for templates: the §40 application deadline shown beside an elevator's validity."""

from datetime import date

from django import template

from ..validity import inspection_application_deadline

register = template.Library()


@register.filter
def application_deadline(valid_until: date | None) -> date | None:
    """The last day to apply for the periodic inspection (特种设备安全法 §40), or None without a validity."""
    return inspection_application_deadline(valid_until) if valid_until else None

"""Form helpers shared by every app."""

from collections.abc import Mapping

from django import forms
from django.http import QueryDict


class BootstrapFormMixin:
    """Give every widget Bootstrap's classes, and mark fields with errors as invalid."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


def add_service_errors(form, exc, *, fields: Mapping[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: on its field when the form has one, else on top.

    `fields` names the form's field for a service's argument where the two differ, e.g. `{"elevator":
    "elevator_code"}` when the form asks for a code and the service takes the elevator."""
    fields = fields or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = fields.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def filter_data(query: QueryDict, *, defaults: Mapping[str, str] | None = None) -> QueryDict:
    """A list page's query string for its FilterSet: a default for each filter the query string does not name at
    all (a user's working queue), then empty values dropped (a select's "all" option sends "")."""
    data = query.copy()
    for key, value in (defaults or {}).items():
        if key not in data:
            data[key] = value
    for key in list(data):
        values = [v for v in data.getlist(key) if v.strip()]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    return data

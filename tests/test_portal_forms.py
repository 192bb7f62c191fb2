"""elevator_portal.forms: the one way a service's ValidationError and a page's query string reach a form."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from elevator_portal.forms import add_service_errors, filter_data


class CodeForm(forms.Form):
    elevator_code = forms.CharField()
    note = forms.CharField(required=False)


def test_service_errors_land_on_the_named_form_field():
    form = CodeForm({"elevator_code": "1", "note": ""})
    assert form.is_valid()
    error = ValidationError({"elevator": "找不到该电梯。", "note": "太长。", "other": "别处的错误。"})
    add_service_errors(form, error, fields={"elevator": "elevator_code"})
    assert form.errors["elevator_code"] == ["找不到该电梯。"]
    assert form.errors["note"] == ["太长。"]
    assert form.non_field_errors() == ["别处的错误。"]


def test_a_service_error_without_fields_goes_on_top():
    form = CodeForm({"elevator_code": "1"})
    form.is_valid()
    add_service_errors(form, ValidationError("不能保存。"))
    assert form.non_field_errors() == ["不能保存。"]


def test_filter_data_applies_defaults_only_to_absent_keys_and_drops_empty_values():
    assert filter_data(QueryDict(""), defaults={"status": "open"}).getlist("status") == ["open"]
    assert "status" not in filter_data(QueryDict("status="), defaults={"status": "open"})
    data = filter_data(QueryDict("status=a&status=&q=+"), defaults={"status": "open"})
    assert data.getlist("status") == ["a"] and "q" not in data

from django import forms
from django.utils.translation import gettext_lazy as _

from elevator_portal.forms import BootstrapFormMixin

from .choices import ImportKind
from .models import ELEVATOR_ORGANIZATION_KINDS, Elevator, Organization


class LookupForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("注册代码、救援识别码或地址"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("例如 12345 或 炳草岗大街"), "autofocus": True, "inputmode": "search"}
        ),
    )


class ElevatorForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Elevator
        fields = [
            "registration_code",
            "rescue_code",
            "use_certificate_no",
            "elevator_type",
            "district",
            "address",
            "building_name",
            "building_kind",
            "use_unit",
            "manufacturer",
            "installer",
            "manufacture_date",
            "commission_date",
            "rated_load_kg",
            "rated_speed_ms",
            "floors",
            "status",
            "maintenance_fund",
            "latitude",
            "longitude",
        ]
        widgets = {
            "manufacture_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "commission_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, district_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if district_choices is not None:
            self.fields["district"].queryset = district_choices
        self.fields["district"].queryset = self.fields["district"].queryset.filter(level__in=["district", "county"])
        for field, kind in ELEVATOR_ORGANIZATION_KINDS.items():
            if field in self.fields:  # not maintenance_firm: it follows the active contract (docs/rules.md)
                self.fields[field].queryset = Organization.objects.filter(kind=kind)


class OrganizationForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "kind",
            "credit_code",
            "licence_no",
            "licence_valid_until",
            "district",
            "address",
            "contact_phone",
            "is_active",
        ]
        widgets = {"licence_valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, district_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if district_choices is not None:
            self.fields["district"].queryset = district_choices


class ImportForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=ImportKind.choices)
    file = forms.FileField(label=_("CSV或XLSX文件"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elevator_portal.forms import BootstrapFormMixin
from registry.choices import OrganizationKind, PersonKind
from registry.models import Elevator, Organization, Person

from .choices import ItemResult, Tier
from .models import ChecklistItem

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf", "capture": "environment"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, person):
        return f"{person.name}（{person.certificate_no}，有效期至{person.certificate_valid_until:%Y-%m-%d}）"


class RecordForm(BootstrapFormMixin, forms.Form):
    """One maintenance visit, as a worker fills it in on a phone (TSG T5002-2017)."""

    elevator_code = forms.CharField(
        label=_("电梯注册代码或救援识别码"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    tier = forms.ChoiceField(label=_("维保类别"), choices=Tier.choices)
    started_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME)
    ended_at = forms.DateTimeField(label=_("结束时间"), widget=DATETIME)
    workers = PersonChoice(label=_("维保人员"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple)
    signed_by = forms.ModelChoiceField(label=_("签字人员"), queryset=Person.objects.none())
    note = forms.CharField(label=_("维保说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    attachments = MultipleFileField(label=_("照片或PDF（可多选）"), required=False)
    sign_off = forms.BooleanField(label=_("本人确认以上维保内容真实有效，并签字"))

    def __init__(self, *args, firm: Organization, tier: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.firm = firm
        workers = Person.objects.filter(organization=firm, kind=PersonKind.MAINTENANCE_WORKER).order_by("name")
        self.fields["workers"].queryset = workers
        self.fields["signed_by"].queryset = workers
        self.items = list(ChecklistItem.objects.filter(tier=tier, is_active=True)) if tier != Tier.REPAIR else []
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.ChoiceField(
                label=f"{item.code}. {item.title}",
                help_text=item.requirement,
                choices=ItemResult.choices,
                initial=ItemResult.OK,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"itemnote_{item.pk}"] = forms.CharField(
                label=_("备注"),
                required=False,
                max_length=255,
                widget=forms.TextInput(attrs={"class": "form-control-sm mt-1", "placeholder": _("备注（可不填）")}),
            )

    def clean_elevator_code(self):
        code = self.cleaned_data["elevator_code"].strip()
        elevator = Elevator.objects.filter(Q(registration_code=code) | Q(rescue_code=code)).first()
        if elevator is None:
            raise forms.ValidationError(_("找不到代码为“%(code)s”的电梯。") % {"code": code})
        return elevator

    def clean(self):
        data = super().clean()
        now = timezone.now()
        if data.get("started_at") and data["started_at"] > now:
            self.add_error("started_at", _("开始时间不能晚于当前时间。"))
        return data

    def checklist_rows(self):
        return [(self[f"item_{item.pk}"], self[f"itemnote_{item.pk}"]) for item in self.items]

    def item_results(self) -> dict[int, tuple[str, str]]:
        return {
            item.pk: (self.cleaned_data[f"item_{item.pk}"], self.cleaned_data.get(f"itemnote_{item.pk}", ""))
            for item in self.items
        }


class ContractForm(BootstrapFormMixin, forms.Form):
    number = forms.CharField(label=_("合同编号"), max_length=64)
    firm = forms.ModelChoiceField(
        label=_("维保单位"), queryset=Organization.objects.filter(kind=OrganizationKind.MAINTENANCE, is_active=True)
    )
    starts_on = forms.DateField(label=_("起始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("截止日期"), widget=DATE)
    elevators = forms.ModelMultipleChoiceField(
        label=_("电梯"), queryset=Elevator.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, use_unit: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elevators"].queryset = Elevator.objects.filter(use_unit=use_unit).order_by("address")
        self.fields["elevators"].label_from_instance = lambda e: f"{e.address}（{e.registration_code}）"


class DateRangeForm(BootstrapFormMixin, forms.Form):
    since = forms.DateField(label=_("起始日期"), required=False, widget=DATE)
    until = forms.DateField(label=_("截止日期"), required=False, widget=DATE)

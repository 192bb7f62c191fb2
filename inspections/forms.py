from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from elevator_portal.forms import BootstrapFormMixin
from registry.choices import OrganizationKind, PersonKind
from registry.models import Organization, Person

from .choices import InspectionKind, InspectionResult

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ApplicationForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("检验类别"), choices=InspectionKind.choices, initial=InspectionKind.PERIODIC)
    agency = forms.ModelChoiceField(
        label=_("检验机构"),
        queryset=Organization.objects.filter(kind=OrganizationKind.INSPECTION, is_active=True),
        empty_label=None,
    )
    wished_from = forms.DateField(label=_("期望检验日期（起）"), widget=DATE)
    wished_to = forms.DateField(label=_("期望检验日期（止）"), widget=DATE)
    site_contact = forms.CharField(label=_("现场联系人"), max_length=50)
    site_phone = forms.RegexField(
        label=_("联系电话"), regex=r"^[0-9\-+ ]{7,20}$", error_messages={"invalid": _("请输入有效的电话号码。")}
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("wished_from") and data.get("wished_to") and data["wished_to"] < data["wished_from"]:
            self.add_error("wished_to", _("期望检验日期（止）不能早于（起）。"))
        return data


class RejectForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("不予受理原因"), widget=forms.Textarea(attrs={"rows": 2}))


class InspectorsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, person):
        return f"{person.name}（{person.certificate_no}）"


def _inspectors(agency_id):
    return Person.objects.filter(organization_id=agency_id, kind=PersonKind.INSPECTOR).order_by("name")


class ScheduleForm(BootstrapFormMixin, forms.Form):
    scheduled_on = forms.DateField(label=_("检验日期"), widget=DATE)
    inspectors = InspectorsField(
        label=_("检验人员"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, agency_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspectors"].queryset = _inspectors(agency_id)


class ResultForm(BootstrapFormMixin, forms.Form):
    inspected_on = forms.DateField(label=_("检验日期"), widget=DATE)
    result = forms.ChoiceField(label=_("检验结论"), choices=InspectionResult.choices)
    report_no = forms.CharField(label=_("报告编号"), max_length=64)
    report_file = forms.FileField(
        label=_("检验报告（PDF）"), required=False, widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
    conclusion = forms.CharField(label=_("检验意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    inspectors = InspectorsField(
        label=_("检验人员"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    # 特种设备安全法 §40: an older result moves a later validity on record back only as an explicit correction.
    corrects_validity = forms.BooleanField(
        label=_("更正有效期"),
        required=False,
        help_text=_("电梯已登记更晚的检验有效期或检验记录时，本结果只记入历史；勾选后以本结果更正电梯的检验有效期。"),
    )
    correction_reason = forms.CharField(label=_("更正原因"), max_length=500, required=False)

    def __init__(self, *args, agency_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspectors"].queryset = _inspectors(agency_id)

    def clean(self):
        data = super().clean()
        if data.get("corrects_validity") and not data.get("correction_reason", "").strip():
            self.add_error("correction_reason", _("更正有效期时请填写更正原因。"))
        return data


class DefectForm(BootstrapFormMixin, forms.Form):
    description = forms.CharField(label=_("问题描述"), max_length=500, required=False)
    deadline = forms.DateField(label=_("整改期限"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("deadline"):
            self.add_error("deadline", _("请填写整改期限。"))
        return data


DefectFormSet = formset_factory(DefectForm, extra=3, max_num=20)


class RectifyForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("整改证明（PDF/JPEG/PNG）"), required=False)

"""Forms and list filters of the safety management and use registration certificate pages (plan §2(7);
特种设备安全法 §33; TSG 08-2017). The forms only read input: every rule is in preparedness.services.safety and
preparedness.services.certificates, whose errors the views put back on these forms."""

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.models import User
from elevator_portal.filters import CheckedDateField
from elevator_portal.forms import BootstrapFormMixin
from registry.models import District, Elevator, Organization
from registry.validators import normalize_use_certificate_no, use_certificate_error

from ..files import file_cap_mb
from ..selectors.safety import CERTIFICATE_STATES, use_unit_elevators

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SafetyManagementForm(BootstrapFormMixin, forms.Form):
    body_name = forms.CharField(
        label=_("安全管理机构"), max_length=100, required=False, help_text=_("未设机构、只配备安全管理员的，留空。")
    )
    principal = forms.CharField(label=_("主要负责人"), max_length=50)
    annual_budget = forms.DecimalField(
        label=_("年度安全经费（元）"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    rules_document = forms.FileField(label=_("安全管理制度（PDF）"), required=False)

    def __init__(self, *args, has_document: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["rules_document"]
        field.help_text = _("仅限PDF，不超过%(mb)sMB。") % {"mb": file_cap_mb()}
        if has_document:
            field.help_text += " " + str(_("不选择文件则保留已上传的制度文件。"))
        if self.is_bound and self.files:
            field.help_text += " " + str(_("提交未成功时，请重新选择文件。"))


class SafetyManagerForm(BootstrapFormMixin, forms.Form):
    """Designate (or edit) a 安全管理员 of `use_unit`: the login among the unit's own accounts, the elevators among
    its own (a new manager answers for all of them unless unticked)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    certificate_no = forms.CharField(label=_("证书编号"), max_length=64)
    certificate_valid_until = CheckedDateField(
        label=_("证书有效期至"), widget=DATE, help_text=_("证书须在今天仍然有效；有效期最后一天仍可确认维保记录。")
    )
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    login = forms.ModelChoiceField(
        label=_("登录账号"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("关联后，该账号在证书有效期内可确认维保记录。"),
    )
    elevators = forms.ModelMultipleChoiceField(
        label=_("负责电梯"), queryset=Elevator.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, use_unit: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].queryset = User.objects.filter(organization=use_unit, is_active=True).order_by("username")
        elevators = self.fields["elevators"]
        elevators.queryset = use_unit_elevators(use_unit)
        elevators.label_from_instance = lambda e: f"{e.registration_code} {e.address}"


class SafetyAssignForm(BootstrapFormMixin, forms.Form):
    elevators = forms.ModelMultipleChoiceField(
        label=_("负责电梯"), queryset=Elevator.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, use_unit: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        elevators = self.fields["elevators"]
        elevators.queryset = use_unit_elevators(use_unit)
        elevators.label_from_instance = lambda e: f"{e.registration_code} {e.address}"


class UseUnitMissingFilterSet(django_filters.FilterSet):
    district = django_filters.ModelChoiceFilter(queryset=District.objects.none(), label=_("区县"))

    class Meta:
        model = Organization
        fields = ["district"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["district"].queryset = access.districts_for(user)
        self.form.fields["district"].queryset = access.districts_for(user)


# ---------------------------------------------------------------- use registration certificates


class CertificateForm(BootstrapFormMixin, forms.Form):
    number = forms.CharField(
        label=_("使用登记证编号"),
        max_length=64,
        help_text=_("格式：梯 + 类别2位 + 川D + 5位流水号 + (年份2位)，例如 梯11川D00123(19)；全角括号会自动转换。"),
    )
    authority = forms.CharField(label=_("登记机关"), max_length=100)
    issued_on = CheckedDateField(label=_("登记日期"), widget=DATE)
    scan = forms.FileField(label=_("使用登记证扫描件"), required=False)

    def __init__(self, *args, has_scan: bool = False, elevator_type: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.elevator_type = elevator_type
        field = self.fields["scan"]
        field.help_text = _("PDF、JPEG或PNG，不超过%(mb)sMB。") % {"mb": file_cap_mb()}
        if has_scan:
            field.help_text += " " + str(_("不选择文件则保留已上传的扫描件。"))
        if self.is_bound and self.files:
            field.help_text += " " + str(_("提交未成功时，请重新选择文件。"))

    def clean_number(self):
        """The layout at once, with the other fields' errors (the service checks it again, with the rest)."""
        number = normalize_use_certificate_no(self.cleaned_data["number"])
        if message := use_certificate_error(number, elevator_type=self.elevator_type):
            raise forms.ValidationError(message)
        return number


class CertificateImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("CSV或XLSX文件"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("不超过%(mb)dMB，第一行为表头。") % {
            "mb": settings.IMPORT_MAX_FILE_BYTES // 1024 // 1024
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("文件不能超过%(mb)dMB。") % {"mb": settings.IMPORT_MAX_FILE_BYTES // 1024 // 1024}
            )
        return upload


class CertificateFilterSet(django_filters.FilterSet):
    district = django_filters.ModelChoiceFilter(queryset=District.objects.none(), label=_("区县"))
    state = django_filters.ChoiceFilter(
        label=_("登记状态"),
        choices=[("missing", _("在用未登记")), ("registered", _("已登记"))],
        method="filter_state",
    )
    q = django_filters.CharFilter(label=_("注册代码或地址"), method="search")

    class Meta:
        model = Elevator
        fields = ["district", "state", "q"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["district"].queryset = access.districts_for(user)
        self.form.fields["district"].queryset = access.districts_for(user)

    def filter_state(self, queryset, name, value):
        return queryset.filter(CERTIFICATE_STATES[value]()) if value in CERTIFICATE_STATES else queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(registration_code__startswith=value) | Q(address__contains=value))

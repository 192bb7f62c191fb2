"""Forms of the rescue pages: a call to 96333 opens or joins an incident, the centre's call log, the firm's duty
shifts (docs/rules.md "Entrapment rescue loop"; plan §2(10); TSG T5002-2017 §5)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from elevator_portal.forms import BootstrapFormMixin
from maintenance.faults.selectors import elevator_for_code

from .choices import EmergencyService
from .models import DutyShift

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MOBILE = re.compile(r"^1\d{10}$")
PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")


class PhoneReportForm(BootstrapFormMixin, forms.Form):
    """A call to 96333: the elevator by the code on its sign (plan §2(10): 应急救援识别码)."""

    code = forms.CharField(
        label=gettext_lazy("应急救援识别码或注册代码"),
        max_length=20,
        help_text=gettext_lazy("轿厢内标牌上的5-6位应急救援识别码，或20位注册代码。"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*", "autofocus": True}
        ),
    )
    trapped_people = forms.IntegerField(
        label=gettext_lazy("被困人数"),
        min_value=0,
        max_value=50,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reporter = forms.CharField(label=gettext_lazy("来电人"), max_length=50, required=False)
    phone = forms.CharField(
        label=gettext_lazy("来电号码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=gettext_lazy("情况说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit() or len(code) not in (5, 6, 20):
            raise ValidationError(_("请输入5-6位应急救援识别码或20位注册代码（仅数字）。"))
        elevator = elevator_for_code(user=self.user, code=code)
        if elevator is None:
            raise ValidationError(_("未找到代码为“%(code)s”的电梯，或该电梯不在您的管辖范围内。") % {"code": code})
        self.cleaned_data["elevator"] = elevator
        return code

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE.match(phone):
            raise ValidationError(_("请输入有效的电话号码。"))
        return phone


class CallForm(BootstrapFormMixin, forms.Form):
    """The centre's call log: who was called, and the public services involved (plan §2(10): 119/110/120)."""

    party = forms.CharField(
        label=gettext_lazy("通话对象"),
        max_length=100,
        help_text=gettext_lazy("如：维保单位值班员、使用单位安全管理员、被困人员。"),
    )
    service = forms.ChoiceField(
        label=gettext_lazy("联动部门"), choices=EmergencyService.choices, required=False, initial=""
    )
    note = forms.CharField(
        label=gettext_lazy("内容"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DutyShiftForm(BootstrapFormMixin, forms.ModelForm):
    """One shift of the firm's roster (TSG T5002-2017 §5: 24-hour rescue duty)."""

    class Meta:
        model = DutyShift
        fields = ["level", "name", "phone", "email", "user", "starts_at", "ends_at", "note"]
        widgets = {
            "starts_at": DATETIME,
            "ends_at": DATETIME,
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "phone": gettext_lazy("11位手机号，派单短信发到此号码。"),
            "user": gettext_lazy("此人登录平台的账号（可选），站内消息发到此账号。"),
        }

    def __init__(self, *args, firm_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.firm_id = firm_id
        self.fields["user"].queryset = User.objects.filter(organization_id=firm_id, is_active=True).order_by("username")
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def clean_phone(self):
        phone = re.sub(r"[\s-]", "", self.cleaned_data["phone"])
        if not MOBILE.match(phone):
            raise ValidationError(_("请输入11位手机号码。"))
        return phone

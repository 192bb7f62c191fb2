"""Forms of the public complaint pages; they translate input, `complaints.services` decides what is valid."""

import time

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from departments.choices import Category
from elevator_portal.forms import BootstrapFormMixin
from registry.choices import DistrictLevel
from registry.models import District

from .selectors import elevator_for_complaint

# A person needs a few seconds to fill the form; a script posting at once is refused (abuse protection).
MIN_FILL_SECONDS = 3
# A form left open longer than this is re-shown with a fresh token rather than accepted.
MAX_FILL_SECONDS = 24 * 3600
STARTED_SALT = "complaints.form.started"

TRAPPED_YES, TRAPPED_NO = "yes", "no"


def started_token(at: float | None = None) -> str:
    """A signed moment at which the form was shown, so the time spent filling it cannot be forged."""
    return signing.dumps(time.time() if at is None else at, salt=STARTED_SALT)


def seconds_since(token: str) -> float | None:
    """How long ago a token from `started_token` was made; None if it is forged or too old."""
    try:
        started = signing.loads(token, salt=STARTED_SALT, max_age=MAX_FILL_SECONDS)
    except (signing.BadSignature, TypeError):
        return None
    return time.time() - float(started)


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero or more uploaded photos; their number and content are checked by `complaint_submit`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ComplaintForm(BootstrapFormMixin, forms.Form):
    trapped_now = forms.ChoiceField(
        label=_("是否有人被困在电梯里？"),
        choices=[(TRAPPED_NO, _("没有")), (TRAPPED_YES, _("有人被困"))],
        initial=TRAPPED_NO,
        widget=forms.RadioSelect,
    )
    elevator_code = forms.CharField(
        label=_("注册代码或救援识别码"),
        max_length=20,
        required=False,
        help_text=_("见轿厢内标牌：5～6位救援识别码或20位注册代码。不知道时请在下方填写地址。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    district = forms.ModelChoiceField(
        label=_("区县"), required=False, queryset=District.objects.none(), empty_label=_("请选择区县")
    )
    address = forms.CharField(
        label=_("电梯所在地址"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如 东区炳草岗大街1号3栋1单元")}),
    )
    category = forms.ChoiceField(
        label=_("投诉类别"), required=False, choices=[("", _("请选择投诉类别"))] + list(Category.choices)
    )
    description = forms.CharField(
        label=_("问题描述"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(label=_("照片（选填，最多3张，JPEG或PNG）"), required=False)
    contact_name = forms.CharField(
        label=_("姓名"), max_length=50, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    contact_phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(
        label=_("电子邮箱"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    # Honeypot: hidden from people (and from screen readers); a script that fills every input fills it too.
    website = forms.CharField(
        label=_("网址"), required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.filter(
            level__in=[DistrictLevel.DISTRICT, DistrictLevel.COUNTY]
        )
        # Called when the form is shown, not when a filled form is posted back.
        self.fields["started"].initial = started_token
        self.elevator = None

    def clean_elevator_code(self):
        code = "".join(self.cleaned_data["elevator_code"].split())
        if not code:
            return ""
        if not code.isdigit() or len(code) not in (5, 6, 20):
            raise forms.ValidationError(_("请填写5～6位救援识别码或20位注册代码。"))
        self.elevator = elevator_for_complaint(code=code)
        if self.elevator is None:
            raise forms.ValidationError(_("未找到该电梯，请核对标牌上的代码，或清空后填写地址。"))
        return code

    def clean_contact_phone(self):
        return "".join(self.cleaned_data["contact_phone"].split())

    @property
    def is_trapped(self) -> bool:
        return self["trapped_now"].value() == TRAPPED_YES

    def is_honeypot_filled(self) -> bool:
        return bool(self.data.get("website"))

    def fill_seconds(self) -> float | None:
        return seconds_since(self.data.get("started", ""))


class CloseForm(BootstrapFormMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意度评价"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    phone_last4 = forms.RegexField(
        label=_("投诉时留下的手机号后四位"),
        regex=r"^\d{4}$",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

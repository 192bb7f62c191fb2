"""Forms and filters of the emergency plan and drill pages (plan §2(7); TSG T5002-2017)."""

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from elevator_portal.filters import CheckedDateField, DateFilter
from elevator_portal.forms import BootstrapFormMixin
from registry.models import District, Elevator

from ..choices import ComplianceState, DrillScenario, DrillStatus
from ..files import file_cap_mb
from ..models import Drill, EmergencyPlan

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The states of the due-drill list (preparedness.rules.drill_state_q knows these three).
DRILL_STATES = [(s.value, s.label) for s in (ComplianceState.OVERDUE, ComplianceState.DUE_SOON, ComplianceState.OK)]


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input (JPEG or PNG; the service checks each by its content)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def elevator_label(e: Elevator) -> str:
    return f"{e.address}（{e.registration_code}）"


class EmergencyPlanForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=_("预案名称"), max_length=200)
    version = forms.CharField(
        label=_("版本"), max_length=20, help_text=_("例如 2026版、V2；同一预案的每个版本各登记一次。")
    )
    adopted_on = CheckedDateField(label=_("发布日期"), widget=DATE)
    document = forms.FileField(
        label=_("预案文件（PDF）"), widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"})
    )
    elevators = forms.ModelMultipleChoiceField(
        label=_("适用电梯"), queryset=Elevator.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, use_unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _("仅限PDF，最大%(mb)sMB。") % {"mb": file_cap_mb()}
        self.fields["elevators"].queryset = Elevator.objects.filter(use_unit=use_unit).order_by("address")
        self.fields["elevators"].label_from_instance = elevator_label


class DrillPlanForm(BootstrapFormMixin, forms.Form):
    planned_on = CheckedDateField(label=_("计划日期"), widget=DATE)
    scenario = forms.ChoiceField(label=_("演练场景"), choices=DrillScenario.choices)
    elevators = forms.ModelMultipleChoiceField(
        label=_("演练电梯"), queryset=Elevator.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    plan = forms.ModelChoiceField(
        label=_("依据预案"), queryset=EmergencyPlan.objects.none(), required=False, empty_label=_("不依据预案")
    )

    def __init__(self, *args, elevators, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elevators"].queryset = elevators
        self.fields["elevators"].label_from_instance = lambda e: f"{e.use_unit.name} · {elevator_label(e)}"
        self.fields["plan"].queryset = plans
        if not plans.exists():
            del self.fields["plan"]

    def clean_elevators(self):
        elevators = list(self.cleaned_data["elevators"])
        if len({e.use_unit_id for e in elevators}) > 1:
            raise forms.ValidationError(_("一次演练只能包含同一使用单位的电梯，请分别计划。"))
        return elevators


class DrillRecordForm(BootstrapFormMixin, forms.Form):
    held_on = CheckedDateField(label=_("演练日期"), widget=DATE)
    use_unit_participants = forms.CharField(
        label=_("使用单位参加人员"), widget=forms.Textarea(attrs={"rows": 2}), help_text=_("姓名和职务，每行一人。")
    )
    firm_participants = forms.CharField(
        label=_("维保单位参加人员"), widget=forms.Textarea(attrs={"rows": 2}), help_text=_("姓名和职务，每行一人。")
    )
    release_minutes = forms.IntegerField(
        label=_("解救用时（分钟）"),
        min_value=0,
        max_value=24 * 60,
        required=False,
        help_text=_("从模拟报警到被困人员解救的分钟数；困人救援演练必填。"),
    )
    findings = forms.CharField(label=_("发现的问题"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    improvements = forms.CharField(label=_("改进措施"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("现场照片（可多选）"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _("JPEG或PNG，每张最大%(mb)sMB；上传时会去除照片中的位置等信息。") % {
            "mb": file_cap_mb()
        }


class DrillCancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=100, widget=forms.Textarea(attrs={"rows": 2}))


class EmergencyPlanFilterSet(django_filters.FilterSet):
    """Filters of the plan list page and `/api/v1/emergency-plans/`."""

    q = django_filters.CharFilter(method="search", label=_("预案名称或使用单位"))
    use_unit_id = django_filters.NumberFilter(label=_("使用单位ID"))
    elevator_id = django_filters.NumberFilter(field_name="elevators", label=_("电梯ID"))
    district = django_filters.ModelChoiceFilter(
        field_name="use_unit__district", queryset=District.objects.all(), label=_("区县")
    )

    class Meta:
        model = EmergencyPlan
        fields = ["q", "use_unit_id", "elevator_id", "district"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(use_unit__name__icontains=value))


class DrillFilterSet(django_filters.FilterSet):
    """Filters of the drill list page, its exports and `/api/v1/drills/`; `since`/`until` bound the drill's day
    (the day held, or planned while not held)."""

    q = django_filters.CharFilter(method="search", label=_("注册代码、地址或单位"))
    status = django_filters.MultipleChoiceFilter(choices=DrillStatus.choices, label=_("状态"))
    scenario = django_filters.MultipleChoiceFilter(choices=DrillScenario.choices, label=_("演练场景"))
    district = django_filters.ModelChoiceFilter(
        field_name="use_unit__district", queryset=District.objects.all(), label=_("区县")
    )
    elevator_id = django_filters.NumberFilter(method="filter_elevator", label=_("电梯ID"))
    since = DateFilter(method="filter_since", label=_("日期不早于"))
    until = DateFilter(method="filter_until", label=_("日期不晚于"))

    class Meta:
        model = Drill
        fields = ["q", "status", "scenario", "district", "elevator_id", "since", "until"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q(use_unit__name__icontains=value) | Q(firm__name__icontains=value)
        q |= Q(elevators__address__icontains=value) | Q(elevators__registration_code__startswith=value)
        return queryset.filter(pk__in=Drill.objects.filter(q).values("pk"))

    def filter_elevator(self, queryset, name, value):
        return queryset.filter(pk__in=Drill.objects.filter(elevators=value).values("pk"))

    def filter_since(self, queryset, name, value):
        return queryset.alias(drill_day=Coalesce("held_on", "planned_on")).filter(drill_day__gte=value)

    def filter_until(self, queryset, name, value):
        return queryset.alias(drill_day=Coalesce("held_on", "planned_on")).filter(drill_day__lte=value)


class DrillDueFilterForm(BootstrapFormMixin, forms.Form):
    """The due-drill list's filters: the lead's overview links here with `district` (a District pk) and `state`."""

    district = forms.ModelChoiceField(
        label=_("区县"), queryset=District.objects.none(), required=False, empty_label=_("全部")
    )
    state = forms.ChoiceField(label=_("演练状态"), choices=[("", _("全部")), *DRILL_STATES], required=False)

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts

"""Forms and list filters of the liability insurance pages (plan §2(12)). The forms only read input: every rule is
in preparedness.services.insurance, whose errors the views put back on these forms."""

from datetime import timedelta

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from elevator_portal.filters import CheckedDateField, DateFilter
from elevator_portal.forms import BootstrapFormMixin
from registry.choices import OrganizationKind
from registry.models import Elevator, Organization

from ..choices import ClaimStatus
from ..files import file_cap_mb
from ..models import InsuranceClaim, InsurancePolicy
from ..rules import policy_in_force_q

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


class PolicyForm(BootstrapFormMixin, forms.Form):
    """A policy of one use unit (`insured`): its elevators are offered, any elevator the user may see is accepted,
    so a policy naming another use unit's elevator reaches the service and is refused there with its reason."""

    insurer = forms.CharField(label=_("保险公司"), max_length=100)
    policy_no = forms.CharField(label=_("保单号"), max_length=64)
    elevators = forms.ModelMultipleChoiceField(label=_("承保电梯"), queryset=None, widget=forms.CheckboxSelectMultiple)
    cover_per_person = forms.DecimalField(label=_("每人赔偿限额（元）"), **MONEY)
    cover_per_accident = forms.DecimalField(
        label=_("每次事故赔偿限额（元）"), max_digits=14, decimal_places=2, min_value=0
    )
    starts_on = CheckedDateField(label=_("保险起期"), widget=DATE)
    ends_on = CheckedDateField(label=_("保险止期"), widget=DATE, help_text=_("保险期间含起期和止期当天。"))
    document = forms.FileField(label=_("保单文件（PDF）"), required=False)

    def __init__(self, *args, user, insured: Organization, has_document: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["elevators"]
        field.queryset = access.elevators_for(user)
        own = list(access.elevators_for(user).filter(use_unit=insured).order_by("registration_code"))
        field.widget.choices = [(e.pk, f"{e.registration_code} {e.address}") for e in own]
        document = self.fields["document"]
        document.help_text = _("仅限PDF，不超过%(mb)sMB。") % {"mb": file_cap_mb()}
        if has_document:
            document.help_text += " " + str(_("不选择文件则保留已上传的保单文件。"))


class ClaimForm(BootstrapFormMixin, forms.Form):
    """A claim under one policy: the elevator among those it covers, the fault or accident among theirs."""

    elevator = forms.ModelChoiceField(label=_("电梯"), queryset=None)
    occurred_on = CheckedDateField(label=_("出险日期"), widget=DATE)
    claimed_on = CheckedDateField(label=_("报案日期"), widget=DATE)
    amount = forms.DecimalField(label=_("索赔金额（元）"), **MONEY)
    fault = forms.ModelChoiceField(label=_("关联故障"), queryset=None, required=False)
    accident = forms.ModelChoiceField(label=_("关联事故"), queryset=None, required=False)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, elevators, faults, accidents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elevator"].queryset = elevators
        self.fields["elevator"].label_from_instance = lambda e: f"{e.registration_code} {e.address}"
        self.fields["fault"].queryset = faults
        self.fields["fault"].label_from_instance = lambda f: (
            f"{f.elevator.registration_code} {timezone.localtime(f.reported_at):%Y-%m-%d %H:%M} {f.get_kind_display()}"
        )
        self.fields["accident"].queryset = accidents
        self.fields["accident"].label_from_instance = lambda a: (
            f"{a.elevator.registration_code} {timezone.localtime(a.recorded_at):%Y-%m-%d}"
        )


class ClaimStatusForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("新状态"), choices=[c for c in ClaimStatus.choices if c[0] != ClaimStatus.FILED])
    paid_amount = forms.DecimalField(label=_("赔付金额（元）"), required=False, **MONEY)
    note = forms.CharField(
        label=_("说明"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("拒赔须写明理由。"),
    )


class PolicyImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("XLSX或CSV文件"))


# ---------------------------------------------------------------- list filters
# The choices of a filter are those of the request's user (django-filter calls a callable queryset with the
# request): a district regulator picks only their district, a use unit only itself.


def _districts_seen(request):
    return access.districts_for(request.user if request else None)


def _use_units_seen(request):
    user = request.user if request else None
    return access.organizations_for(user, Organization.objects.filter(kind=OrganizationKind.USE_UNIT)).order_by("name")


class PolicyFilterSet(django_filters.FilterSet):
    """Filters of the policy list (page and `/api/v1/insurance-policies/`)."""

    q = django_filters.CharFilter(method="search", label=_("保单号"))
    insurer = django_filters.CharFilter(field_name="insurer", lookup_expr="icontains", label=_("保险公司"))
    insured_id = django_filters.ModelChoiceFilter(
        field_name="insured", queryset=_use_units_seen, label=_("被保险人"), empty_label=_("全部")
    )
    district = django_filters.ModelChoiceFilter(
        field_name="insured__district", queryset=_districts_seen, label=_("区县"), empty_label=_("全部")
    )
    in_force = django_filters.BooleanFilter(method="filter_in_force", label=_("今日有效"))
    expiring = django_filters.BooleanFilter(method="filter_expiring", label=_("即将到期"))
    ends_after = DateFilter(field_name="ends_on", lookup_expr="gte", label=_("止期不早于"))

    class Meta:
        model = InsurancePolicy
        fields = ["q", "insurer", "insured_id", "district", "in_force", "expiring", "ends_after"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(policy_no__icontains=value) if value else queryset

    def filter_in_force(self, queryset, name, value):
        if value is None:
            return queryset
        q = policy_in_force_q(timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_expiring(self, queryset, name, value):
        """In force and ending within INSURANCE_REMINDER_DAYS (the reminder's window)."""
        if value is None:
            return queryset
        today = timezone.localdate()
        q = policy_in_force_q(today) & Q(ends_on__lte=today + timedelta(days=settings.INSURANCE_REMINDER_DAYS))
        return queryset.filter(q) if value else queryset.exclude(q)


class ClaimFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("保单号或注册代码"))
    status = django_filters.ChoiceFilter(choices=ClaimStatus.choices, label=_("状态"), empty_label=_("全部"))
    claimed_after = DateFilter(field_name="claimed_on", lookup_expr="gte", label=_("报案日期不早于"))
    claimed_before = DateFilter(field_name="claimed_on", lookup_expr="lte", label=_("报案日期不晚于"))

    class Meta:
        model = InsuranceClaim
        fields = ["q", "status", "claimed_after", "claimed_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(policy__policy_no__icontains=value) | Q(elevator__registration_code__startswith=value))


class UninsuredFilterSet(django_filters.FilterSet):
    """The regulators' list of elevators in use without cover: `district` is a District pk (the dashboard's and
    the overview's links)."""

    district = django_filters.ModelChoiceFilter(
        field_name="district", queryset=_districts_seen, label=_("区县"), empty_label=_("全部")
    )
    q = django_filters.CharFilter(method="search", label=_("注册代码、地址或使用单位"))

    class Meta:
        model = Elevator
        fields = ["district", "q"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(registration_code__startswith=value) | Q(address__icontains=value) | Q(use_unit__name__icontains=value)
        )

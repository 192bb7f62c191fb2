from django import forms
from django.utils.translation import gettext_lazy as _

from departments.choices import Category
from elevator_portal.forms import BootstrapFormMixin


class CategoryLookupForm(BootstrapFormMixin, forms.Form):
    """The public "which problem do you have?" lookup."""

    category = forms.ChoiceField(
        label=_("遇到的问题"), required=False, choices=[("", _("请选择问题类型"))] + Category.choices
    )


class TaskProgressForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)

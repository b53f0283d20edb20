"""Forms of the payment pages; their choices are the chosen company's own rows."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from company import models as company_models
from ledger import models as ledger_models
from payments import models


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ProposalForm(forms.Form):
    bank_partner = forms.ModelChoiceField(
        label=_("Bank partner"), queryset=company_models.BankPartner.objects.none()
    )
    due_date_to = forms.DateField(label=_("Due date to"), widget=DateInput())
    due_date_from = forms.DateField(label=_("Due date from"), required=False, widget=DateInput())
    suppliers = forms.ModelMultipleChoiceField(
        label=_("Suppliers"), queryset=ledger_models.Supplier.objects.none(), required=False
    )
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Z]{3}$", required=False, max_length=3)
    payment_date = forms.DateField(
        label=_("Payment date"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty to pay each item on its due date."),
    )

    def __init__(self, *args: Any, company: company_models.Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        partners = company.bank_partners.filter(is_active=True, ebf_system=company_models.EbfSystem.AUTOPAY)
        self.fields["bank_partner"].queryset = partners  # type: ignore[attr-defined]
        only = [] if self.is_bound else list(partners[:2])
        if len(only) == 1:
            # The company pays through one bank partner: chosen already, as the accountant would.
            self.fields["bank_partner"].initial = only[0].pk
        self.fields["suppliers"].queryset = ledger_models.Supplier.objects.filter(  # type: ignore[attr-defined]
            company=company
        )

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "company": self.company,
            "bank_partner": data["bank_partner"],
            "due_date_to": data["due_date_to"],
            "due_date_from": data.get("due_date_from"),
            "suppliers": list(data.get("suppliers") or []),
            "currency": data.get("currency") or "",
            "payment_date": data.get("payment_date"),
        }


class PaymentFilterForm(forms.Form):
    status = forms.TypedChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *models.PaymentStatus.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    date_from = forms.DateField(label=_("Payment date from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Payment date to"), required=False, widget=DateInput())
    bank_partner = forms.ModelChoiceField(
        label=_("Bank partner"), queryset=company_models.BankPartner.objects.none(), required=False
    )

    def __init__(self, *args: Any, company: company_models.Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_partner"].queryset = company.bank_partners.all()  # type: ignore[attr-defined]


class ReduceForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=18, decimal_places=2, min_value=0, localize=True
    )


class PaymentDateForm(forms.Form):
    payment_date = forms.DateField(label=_("Payment date"), widget=DateInput())


class OverrideForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    otp = forms.CharField(label=_("Two-factor code"), max_length=16, required=False)

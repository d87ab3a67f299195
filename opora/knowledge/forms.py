"""Knowledge base forms: the shape of input; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import User
from opora.knowledge.models import Article, Section
from opora.knowledge.services import Text


class ArticleForm(forms.Form):
    """The editor: settings, and the Russian and English texts (Markdown)."""

    section = forms.ModelChoiceField(label=_("Section"), queryset=Section.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Article.Kind.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Article.Visibility.choices)
    review_by = forms.DateField(
        label=_("Review by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "When the owner must check the article again. Empty: six months after publishing."
        ),
    )
    title_ru = forms.CharField(label=_("Title"), max_length=200, required=False)
    body_ru = forms.CharField(
        label=_("Text (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 16})
    )
    title_en = forms.CharField(label=_("Title"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Text (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 16})
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        required=False,
        help_text=_("Shown in the history."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.order_by("name")  # type: ignore[attr-defined]

    def clean_title_ru(self) -> str:
        title: str = self.cleaned_data["title_ru"].strip()
        if not title:
            raise forms.ValidationError(_("The Russian title is required."))
        return title

    def texts(self) -> dict[str, Text]:
        data = self.cleaned_data
        return {
            "ru": Text(title=data["title_ru"], body=data["body_ru"]),
            "en": Text(title=data["title_en"].strip(), body=data["body_en"]),
        }

    def settings(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in ("section", "kind", "visibility", "review_by")
        }


class SectionForm(forms.ModelForm[Section]):
    class Meta:
        model = Section
        fields = ["name", "parent", "position", "owner", "backup_owner", "is_public", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True).order_by("full_name")
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]
        self.fields["backup_owner"].queryset = staff  # type: ignore[attr-defined]


class SendBackForm(forms.Form):
    comment = forms.CharField(
        label=_("What should be changed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FileForm(forms.Form):
    file = forms.FileField(label=_("Image or file"))


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda value: value == "1"
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)

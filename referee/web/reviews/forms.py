"""The review form: the fields the API lets a reviewer write, validated by the API's own body
serializer, so the bounds and the words beside a field are the API's."""

from django import forms

from referee.reviews.serializers import COMMENT_FIELDS, MAX_COMMENT, ReviewUpdateSerializer

SCORE = ReviewUpdateSerializer().fields["summary_score"]
LABELS = {
    "summary_score": f"Score ({SCORE.min_value}–{SCORE.max_value})",
    "summary_public_comment": "Public comment",
    "summary_private_comment": "Private comment",
    "comment_project_title": "On the title",
    "comment_project_summary": "On the summary",
    "comment_project_description": "On the description",
    "comment_project_supporting_documentation": "On the supporting documentation",
    "comment_resource_requests": "On the resource requests",
    "comment_team": "On the team",
}
HELP = {
    "summary_score": f"{SCORE.max_value} is the best. Leave empty until you decide.",
    "summary_private_comment": "For the call's managers only.",
}
WRITABLE = list(LABELS)


def _text(name):
    return forms.CharField(label=LABELS[name], help_text=HELP.get(name, ""), required=False, strip=False,
                           widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_COMMENT}))


class ReviewForm(forms.Form):
    summary_score = forms.CharField(label=LABELS["summary_score"], help_text=HELP["summary_score"], required=False,
                                    widget=forms.NumberInput(attrs={"min": SCORE.min_value, "max": SCORE.max_value}))
    summary_public_comment = _text("summary_public_comment")
    summary_private_comment = _text("summary_private_comment")
    comment_project_title = _text("comment_project_title")
    comment_project_summary = _text("comment_project_summary")
    comment_project_description = _text("comment_project_description")
    comment_project_supporting_documentation = _text("comment_project_supporting_documentation")
    comment_resource_requests = _text("comment_resource_requests")
    comment_team = _text("comment_team")
    coi_confirmed = forms.BooleanField(
        required=False, label="I have no conflict of interest with this proposal (asked when you submit)")

    @classmethod
    def of(cls, review):
        """The form filled with what `review` holds."""
        return cls(initial={name: getattr(review, name) for name in [*WRITABLE, "coi_confirmed"]})

    def clean(self):
        """The API's PATCH body rules over the fields: an empty score or section is null (unset), as
        the API stores what a reviewer never wrote; each refusal lands beside its field."""
        raw = {name: self.cleaned_data.get(name, "") for name in WRITABLE}
        body = {name: None if value == "" and (name == "summary_score" or name in COMMENT_FIELDS) else value
                for name, value in raw.items()}
        serializer = ReviewUpdateSerializer(data=body)
        if not serializer.is_valid():
            for name, messages in serializer.errors.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, str(message))
            return self.cleaned_data
        self.review_fields = dict(serializer.validated_data)
        return self.cleaned_data

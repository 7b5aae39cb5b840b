"""My reviews and the review form: the reviewer's own reviews with their deadlines, and Save
(`reviews.domain.update_review`) or Submit (`submit_review`) through the API's predicates."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from referee.api.permissions import ApiAccess, CanWriteReview
from referee.core.predicates import is_read_only
from referee.reviews import domain
from referee.reviews.models import Review
from referee.reviews.predicates import can_write_review
from referee.reviews.queries import reviews_written_by, with_deadline
from referee.web.pages import refusals_on, signed_in
from referee.web.reviews.forms import ReviewForm

SAVED = {"save": "Review saved.", "submit": "Review submitted."}


@signed_in
def my_reviews(request):
    open_reviews, closed_reviews = reviews_written_by(request.user)
    return render(request, "web/reviews/my_reviews.html", {"open_reviews": open_reviews, "closed_reviews": closed_reviews})


def _own_review(user, uuid) -> Review:
    """One of the user's own reviews (404 otherwise, even for a manager or staff who may read it
    elsewhere: this page is where its reviewer writes it)."""
    review = with_deadline(Review.objects.visible_to(user).filter(reviewer=user, uuid=uuid)).first()
    if review is None:
        raise Http404
    review.deadline = domain.review_deadline(review)
    return review


def _refusal(user, review) -> tuple[int, str] | None:
    """Why `user` may not write `review` now, with its status, in the API's words: the checks its
    PATCH and submit run (support read-only, the reviewer alone), then the domain's own guard."""
    if is_read_only(user):
        return 403, ApiAccess.message
    if not can_write_review(user, review):
        return 403, CanWriteReview.message
    refusal = domain.submit_refusal(review)
    return (400, refusal) if refusal else None


@signed_in
def review(request, uuid):
    review = _own_review(request.user, uuid)
    refusal = _refusal(request.user, review)
    if request.method != "POST":
        return _page(request, review, ReviewForm.of(review), refusal)
    if refusal is not None:  # the form was shown while the review was open; say why it is not now
        return _page(request, review, ReviewForm.of(review), refusal, status=refusal[0])
    action = "submit" if request.POST.get("action") == "submit" else "save"
    form = ReviewForm(request.POST)
    if form.is_valid():
        with refusals_on(form):
            if action == "submit":
                confirmed = form.cleaned_data["coi_confirmed"] or None  # unticked leaves it as it was
                domain.submit_review(review, actor=request.user, coi_confirmed=confirmed, **form.review_fields)
            else:
                domain.update_review(review, actor=request.user, **form.review_fields)
        if not form.refused:
            if request.htmx:
                review = _own_review(request.user, uuid)
                return _page(request, review, ReviewForm.of(review), _refusal(request.user, review), done=SAVED[action])
            messages.success(request, SAVED[action])
            return redirect("review", uuid=review.uuid)
    return _page(request, review, form, None, status=400)


def _page(request, review, form, refusal, status=200, done=""):
    """The whole page, or for htmx the form's section alone (it holds the `aria-live` status)."""
    template = "web/reviews/review_form.html" if request.htmx else "web/reviews/review.html"
    context = {"review": review, "form": form, "refusal": refusal[1] if refusal else "", "refused": status != 200,
               "done": done}
    return render(request, template, context, status=status)

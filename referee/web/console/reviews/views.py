"""The Reviews tab: per proposal, the reviews in review and submitted against the number the
call's matching configuration asks for (`reviews.queries.proposal_progress`), and the overdue
reviews with reviewer and deadline (`reviews.queries.overdue_in_call`: what the overdue-review
job rejects on its next run). Two independently paged lists, a constant number of queries."""

from django.utils import timezone

from referee.reviews.queries import overdue_in_call, proposal_progress, with_deadlines
from referee.web.console.paging import page_of
from referee.web.console.views import render_tab


def tab(request, call):
    needed = call.matching_config.min_reviewers_per_proposal
    progress = page_of(request, proposal_progress(call))
    for proposal in progress.page:
        proposal.missing = max(needed - proposal.started, 0)
    overdue = page_of(request, overdue_in_call(call, timezone.now()), param="overdue_page")
    overdue.page.object_list = with_deadlines(overdue.page.object_list)
    return render_tab(request, call, "web/console/reviews/tab.html", {
        "needed": needed, "progress": progress, "overdue": overdue,
    })

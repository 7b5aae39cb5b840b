"""The Overview tab: the call's round-up (`assignments.queries.call_overview`, the counts the
calls list shows plus the overdue reviews and the timeline) in tables, and the timeline as a
line chart (`web.plots.lines`) with its data table."""

from django.utils import formats, timezone

from referee.assignments.enums import BatchStatus, ItemStatus
from referee.assignments.queries import call_overview
from referee.calls.enums import ProposalState
from referee.reviewers.enums import InvitationStatus
from referee.reviews.enums import ReviewState
from referee.web import plots
from referee.web.console.views import render_tab


def tab(request, call):
    overview = call_overview(call, timezone.now())
    counts = overview.counts
    return render_tab(request, call, "web/console/overview/tab.html", {
        "overview": overview,
        "needed": call.matching_config.min_reviewers_per_proposal,
        "tables": [
            ("Proposals", _by(counts.proposals, ProposalState)),
            ("Reviewer pool", _by(counts.pool, InvitationStatus)),
            ("Batches", _by(counts.batches, BatchStatus, link="?tab=batches&status=")),
            ("Proposals offered to reviewers (items)", _by(counts.items, ItemStatus)),
            ("Reviews", [*_by(counts.reviews, ReviewState),
                         ("of them in review past their deadline", overview.overdue_reviews,
                          "?tab=reviews#overdue" if overview.overdue_reviews else "")]),
        ],
        "chart": _chart(overview.timeline),
    })


def _by(counter, choices, *, link: str = "") -> list[tuple[str, int, str]]:
    """Every status of `choices` with its count (zeros too: "0 declined" is news as well) and,
    given `link`, where the rows counted are listed (the status appended)."""
    return [(label, counter[value], f"{link}{value}" if link and counter[value] else "")
            for value, label in choices.choices]


def _chart(timeline):
    if not timeline.days:
        return None
    days = [formats.date_format(day, "SHORT_DATE_FORMAT") for day in timeline.days]
    return plots.lines("answers-over-time", "Answers and submitted reviews, cumulative per day", days, {
        "Accepted": timeline.accepted, "Declined": timeline.declined, "Reviews submitted": timeline.submitted,
    })

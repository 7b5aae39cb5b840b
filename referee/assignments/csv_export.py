"""A call's assignments and affinity matrix as CSV lines (issue 13), produced lazily so that a
streamed response never holds the file: 3,000 proposals × 1,500 reviewers are 4.5 million matrix
rows. Each export reads its rows in one query (a server-side cursor on PostgreSQL) plus one per
lookup table (proposals, reviewers), whatever the number of rows.

The assignments file has the columns the CSV import reads (`proposal_uuid`, `reviewer_email`),
so it can be edited and imported again."""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import OuterRef, Subquery

from referee.assignments.models import AffinityScore, AssignmentItem
from referee.assignments.queries import matrix_rows
from referee.calls.models import Proposal
from referee.reviewers.models import CallReviewerPool, ReviewerBid

ASSIGNMENT_COLUMNS = ("proposal_uuid", "proposal", "reviewer_email", "reviewer", "affinity", "keyword_score",
                      "text_score", "bid", "status", "batch_uuid", "batch_status", "deadline")
MATRIX_COLUMNS = ("proposal_uuid", "proposal", "reviewer_email", "reviewer", "affinity", "keyword_score",
                  "text_score")
CHUNK = 5000  # rows fetched per round trip of the cursor


class _Line:
    """What `csv.writer` writes to: the line it was just given."""

    def write(self, text: str) -> str:
        return text


def lines(header, rows: Iterable) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): names come from applicants
# and reviewers, so such a cell is written with a leading apostrophe, which spreadsheets hide.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _score(value):
    return "" if value is None else f"{value:.4f}"


def _proposals(call) -> dict:
    return {pk: (key, _text(name)) for pk, key, name in Proposal.objects.filter(call=call).values_list("id", "uuid", "name")}


def _reviewers(entries, key: str) -> dict:
    """(e-mail, full name) of the entries' reviewers, by `key` (an attribute of the entry)."""
    return {getattr(e, key): (e.reviewer.user.email, _text(e.reviewer.user.full_name))
            for e in entries.select_related("reviewer__user").only(
                "id", "reviewer_id", "reviewer__user__email", "reviewer__user__first_name",
                "reviewer__user__last_name", "reviewer__user__username")}


def assignment_lines(call) -> Iterator[str]:
    """Every item of the call's batches, by proposal then reviewer: the pair's affinity as the
    item recorded it, the cached keyword and text parts, the reviewer's bid, the item's status,
    its batch and the batch's deadline (UTC)."""
    proposals = _proposals(call)
    reviewers = _reviewers(CallReviewerPool.objects.filter(call=call), "id")
    pair = {"proposal": OuterRef("proposal"), "reviewer": OuterRef("pool_entry__reviewer")}
    scores = AffinityScore.objects.filter(**pair)
    items = AssignmentItem.objects.filter(batch__call=call).annotate(
        keyword=Subquery(scores.values("keyword_score")[:1]), text=Subquery(scores.values("text_score")[:1]),
        bid=Subquery(ReviewerBid.objects.filter(**pair).values("bid")[:1]),
    ).order_by("proposal_id", "pool_entry_id", "pk").values_list(
        "proposal_id", "pool_entry_id", "affinity_score", "keyword", "text", "bid", "status", "batch__uuid",
        "batch__status", "batch__expires_at")

    def rows():
        for proposal_id, entry_id, affinity, keyword, text, bid, status, batch, batch_status, deadline in items.iterator(CHUNK):
            key, name = proposals[proposal_id]
            email, reviewer = reviewers[entry_id]
            yield (key, name, email, reviewer, _score(affinity), _score(keyword), _score(text), bid or "", status,
                   batch, batch_status, deadline.isoformat() if deadline else "")

    return lines(ASSIGNMENT_COLUMNS, rows())


def matrix_lines(call) -> Iterator[str]:
    """The affinity matrix in long format, one line per cached pair of the call's accepted pool
    (the rows of the API's `affinity-matrix/`), in the order of the pair index: by proposal."""
    proposals = _proposals(call)
    reviewers = _reviewers(CallReviewerPool.objects.accepted().filter(call=call), "reviewer_id")
    scores = matrix_rows(call, scope="pool").order_by("proposal_id", "reviewer_id")

    def rows():
        for _, reviewer_id, proposal_id, affinity, keyword, text in scores.iterator(CHUNK):
            if proposal_id not in proposals or reviewer_id not in reviewers:
                continue  # deleted since the lookups were read
            key, name = proposals[proposal_id]
            email, reviewer = reviewers[reviewer_id]
            yield key, name, email, reviewer, _score(affinity), _score(keyword), _score(text)

    return lines(MATRIX_COLUMNS, rows())

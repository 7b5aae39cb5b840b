"""Who sees which call, round and proposal: written once, used by every view (§3.12).

Membership tests use `IN (subquery)` / EXISTS rather than joins so that OR-ed conditions never
multiply rows (no DISTINCT needed, counts stay exact)."""

from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q

from referee.api.queries import InSubquery
from referee.api.row_counts import counted, counts_kept
from referee.calls.enums import ProposalState
from referee.core.roles import managed_call_ids, managed_calls, sees_everything
from referee.reviewers.enums import InvitationStatus
from referee.reviews.enums import ReviewState

OPEN_FOR_REVIEW = (ProposalState.SUBMITTED, ProposalState.IN_REVIEW)
ACTIVE_REVIEW_STATES = (ReviewState.IN_REVIEW, ReviewState.SUBMITTED)


def team_proposals(user):
    from referee.calls.models import Proposal  # models import querysets: read at call time

    return Proposal.team.through.objects.filter(user_id=user.pk).values("proposal_id")


def _own_or_managed(user):
    """Each branch is an index condition on the proposal: the managed calls are literal ids (see
    BatchQuerySet.visible_to), the subqueries hold a handful of ids (the user's teams and active
    reviews), so PostgreSQL ORs index scans instead of probing every proposal (see InSubquery)."""
    from referee.reviews.models import Review  # models import querysets: read at call time

    reviewing = Review.objects.filter(reviewer=user, state__in=ACTIVE_REVIEW_STATES).values("proposal_id")
    return (
        Q(call_id__in=managed_call_ids(user))
        | Q(created_by=user)
        | InSubquery("id", team_proposals(user))
        | InSubquery("id", reviewing)
    )


class CallQuerySet(models.QuerySet):
    def visible_to(self, user):
        if sees_everything(user):
            return self.all()
        from referee.calls.models import Proposal  # models import querysets: read at call time
        from referee.reviewers.models import CallReviewerPool  # models import querysets: read at call time

        # The calls of the user's pool entries and proposals, each read once from its indexes:
        # correlated with every call, the proposals' branch read each call's 2,000 proposals.
        pooled = CallReviewerPool.objects.filter(reviewer__user=user).values("call_id")
        proposing = Proposal.objects.filter(Q(created_by=user) | InSubquery("id", team_proposals(user))).values("call_id")
        return self.filter(Q(pk__in=managed_calls(user)) | Q(pk__in=pooled) | Q(pk__in=proposing))

    def readable_for_management(self, user):
        """The calls whose management `calls.predicates.can_read_call_management` lets the user read:
        all for staff and support, else the ones they manage (the console's list)."""
        return self.all() if sees_everything(user) else self.filter(pk__in=managed_calls(user))


class RoundQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A round is seen with its call."""
        if sees_everything(user):
            return self.all()
        from referee.calls.models import Call  # models import querysets: read at call time

        return self.filter(call__in=Call.objects.visible_to(user).values("id"))


class ProposalQuerySet(models.QuerySet):
    def open_for_review(self):
        return self.filter(state__in=OPEN_FOR_REVIEW)

    def visible_to(self, user):
        """Every proposal the user may see, fully or restricted (see `fully_visible_to`)."""
        if sees_everything(user):
            return self.all()
        return self.filter(_own_or_managed(user) | _pool_member(user))

    def visible_count(self, user) -> int | None:
        """How many proposals staff and support see, from the counters (api.row_counts); None
        (COUNT(*)) for anyone else. A manager's calls' counters plus an exact count of their other
        visible proposals (`count_by_call`) cost more than one COUNT(*) through the indexes
        (docs/benchmarks.md, "Fourteenth pass"), and a reviewer sees only some states of their
        pools' calls, which the counters do not tell apart."""
        return counted(self.model) if counts_kept() and sees_everything(user) else None

    def fully_visible_to(self, user):
        """Proposals whose full text the user may read: managers, creator and team, active reviewers."""
        if sees_everything(user):
            return self.all()
        return self.filter(_own_or_managed(user))

    def with_reading(self, user):
        """Each proposal annotated with how `user` may read it, by the same conditions as the two
        filters above (calls.disclosure.readable_by, for a page at once): `read_in_full`
        (`fully_visible_to`) and `read_as_pool_member` (the other branch of `visible_to`).
        Not for staff and support, who read everything."""
        return self.annotate(read_in_full=ExpressionWrapper(_own_or_managed(user), output_field=BooleanField()),
                             read_as_pool_member=ExpressionWrapper(_pool_member(user), output_field=BooleanField()))


def _pool_member(user):
    """An open proposal of a call whose pool the user accepted to be in."""
    from referee.reviewers.models import CallReviewerPool  # models import querysets: read at call time

    member_of = CallReviewerPool.objects.filter(reviewer__user=user, invitation_status=InvitationStatus.ACCEPTED).values("call_id")
    # The open states as plain values, so they stay parameters (core.database writes enum
    # members into the SQL): knowing them, PostgreSQL took this branch for most of the table
    # (its calls are an array it cannot see, on a column of few values) and counted a
    # manager's proposals by reading every proposal (3.5 ms) instead of through the indexes (0.5 ms).
    open_states = [state.value for state in OPEN_FOR_REVIEW]
    return InSubquery("call_id", member_of) & Q(state__in=open_states)

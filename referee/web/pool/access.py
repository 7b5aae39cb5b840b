"""The refusals of the pool pages, each one predicate's answer (kept out of the views, which only
ask: tests/test_architecture.py)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from referee.core.predicates import is_read_only
from referee.reviewers.predicates import can_bid, can_respond_to_invitation


def require_writer(user) -> None:
    """Support users read and never write, here as in the API (403)."""
    if is_read_only(user):
        raise PermissionDenied


def require_bidder(user) -> None:
    """The bids page exists only for reviewers in some call's pool (404, nor its navigation entry)."""
    if not can_bid(user):
        raise Http404


def require_invited(user, entry) -> None:
    """A pool invitation's link is its reviewer's own: to anyone else, managers and staff included,
    it does not exist (404; they read the entry through the API)."""
    if not can_respond_to_invitation(user, entry):
        raise Http404

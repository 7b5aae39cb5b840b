"""The pool invitation (the link of the pool invitation mail) and the bids page."""

from django.urls import path

from referee.reviewers.predicates import can_bid
from referee.web import navigation
from referee.web.pool import views

urlpatterns = [
    path("reviewer-invitation/<str:token>/", views.invitation, name="pool-invitation"),
    path("reviewer-invitation/<str:token>/accept/", views.accept_invitation, name="pool-invitation-accept"),
    path("reviewer-invitation/<str:token>/decline/", views.decline_invitation, name="pool-invitation-decline"),
    path("bids/", views.bids_page, name="bids"),
]

navigation.register("bids", "Bids", can_bid)

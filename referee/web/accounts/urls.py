"""Signing in and out of the pages; `/` leads on from there."""
from django.contrib.auth import views as auth_views
from django.urls import path

from referee.web.accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signin/fresh/", views.fresh_link, name="fresh-link"),
    path("signin/<str:token>/", views.sign_in_by_link, name="signin-link"),
]

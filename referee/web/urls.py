from django.urls import path

from referee.web import views

urlpatterns = [
    path("", views.home, name="home"),
]

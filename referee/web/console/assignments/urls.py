"""The Assignments tab and its actions (`call/<uuid>/manage/assignments/…`)."""

from django.urls import path

from referee.web.console import tabs
from referee.web.console.assignments import views

PREFIX = "call/<uuid:uuid>/manage/assignments/"

urlpatterns = [
    path(PREFIX + "generate/", views.generate, name="console-assignments-generate"),
    path(PREFIX + "compare/", views.compare, name="console-assignments-compare"),
    path(PREFIX + "jobs/<uuid:job_uuid>/", views.job_progress, name="console-assignments-job"),
    path(PREFIX + "jobs/<uuid:job_uuid>/cancel/", views.cancel, name="console-assignments-cancel-job"),
    path(PREFIX + "remove/", views.remove, name="console-assignments-remove"),
    path(PREFIX + "add/", views.add, name="console-assignments-add"),
    path(PREFIX + "swap/", views.swap, name="console-assignments-swap"),
    path(PREFIX + "pairs/", views.pairs, name="console-assignments-pairs"),
    path(PREFIX + "deploy/", views.deploy, name="console-assignments-deploy"),
    path(PREFIX + "undo/", views.undo, name="console-assignments-undo"),
    path(PREFIX + "send-all/", views.send_all, name="console-assignments-send-all"),
]

tabs.register(views.KEY, "Assignments", views.tab, order=40)

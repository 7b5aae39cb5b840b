"""The CSV page and its exports (`call/<uuid>/manage/csv/…`); the Assignments tab links to it."""

from django.urls import path

from referee.web.console.csv import views

urlpatterns = [
    path("call/<uuid:uuid>/manage/csv/", views.page, name="console-csv"),
    path("call/<uuid:uuid>/manage/csv/assignments.csv", views.assignments, name="console-csv-assignments"),
    path("call/<uuid:uuid>/manage/csv/affinities.csv", views.affinities, name="console-csv-affinities"),
    path("call/<uuid:uuid>/manage/csv/import/", views.import_file, name="console-csv-import"),
]

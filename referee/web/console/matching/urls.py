"""The Matching tab's routes (its actions and the progress fragments of its jobs) and its tab."""

from django.urls import path

from referee.web.console import tabs
from referee.web.console.matching import conflict_views, views

BASE = "call/<uuid:uuid>/manage/matching/"

urlpatterns = [
    path(f"{BASE}configuration/", views.matching_configuration, name="console-matching-configuration"),
    path(f"{BASE}coi-configuration/", views.coi_configuration, name="console-matching-coi-configuration"),
    path(f"{BASE}affinities/", views.compute, name="console-matching-affinities"),
    path(f"{BASE}affinities/<uuid:job_uuid>/", views.affinity_job, name="console-matching-affinity-job"),
    path(f"{BASE}affinities/<uuid:job_uuid>/cancel/", views.cancel_affinity_job,
         name="console-matching-cancel-affinity-job"),
    path(f"{BASE}heatmap/", views.affinities, name="console-matching-heatmap"),
    path(f"{BASE}detection/", conflict_views.detect, name="console-matching-detect"),
    path(f"{BASE}detection/<uuid:job_uuid>/", conflict_views.detection_progress, name="console-matching-detection"),
    path(f"{BASE}detection/<uuid:job_uuid>/cancel/", conflict_views.cancel_detection_job,
         name="console-matching-cancel-detection"),
    *(path(f"{BASE}conflicts/<uuid:coi_uuid>/{action}/", conflict_views.act_on_conflict, {"action": action},
           name=f"console-matching-{action}") for action in conflict_views.ACTIONS),
]

tabs.register("matching", "Matching", views.tab, order=30)

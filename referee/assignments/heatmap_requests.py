"""Asking a worker for the console's heatmap layout of a call's scores (issue 13): reading and
clustering every score of a large call takes seconds, which a page must not spend. Apart from
`queries` (what the task runs) so that the task module imports the run and this module the task,
with no cycle between them (as `conflicts.detection_requests`)."""

from django.core.cache import cache

from referee.assignments.queries import layout_key
from referee.assignments.tasks import arrange_affinity_heatmap
from referee.core.workers import worker_running

ASKED_SECONDS = 600  # asked again after this, should the worker have lost the task


def request_layout(call, state) -> bool:
    """Queue the layout of the scores `state` describes, once however many pages ask; False when
    no worker would make it. (Where tasks run eagerly, it is made before this returns.)"""
    if not worker_running():
        return False
    if cache.add(f"{layout_key(call, state)}:asked", True, ASKED_SECONDS):
        arrange_affinity_heatmap.delay(call.id)
    return True

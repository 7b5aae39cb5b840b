"""Every API route, one registry. Each app contributes `register(router)` in its `urls.py`."""

from rest_framework.routers import DefaultRouter

from referee.assignments import urls as assignments
from referee.calls import urls as calls
from referee.conflicts import urls as conflicts
from referee.core import urls as core
from referee.reviewers import urls as reviewers
from referee.reviews import urls as reviews


class Router(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False


router = Router()
for app in (core, calls, reviewers, conflicts, assignments, reviews):
    app.register(router)

"""The WSGI application (with chunked request bodies read, referee.api.middleware). Loading it
imports everything a request needs (URLconf, views, task modules, the broker transport) in the
loading thread, before gunicorn starts request threads.

What loading created (Django, the URLconf, every module: about 240,000 objects) is then moved out
of the garbage collector's reach (`gc.freeze`): it lives as long as the process, yet each full
collection walked all of it again, and the API's lists spent about a fifth of their time in the
collector (docs/benchmarks.md, "Fourth pass")."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "referee.settings")
django_application = get_wsgi_application()

from referee.api.middleware import read_chunked_bodies  # noqa: E402 - needs the apps loaded above
from referee.celery import load_tasks_and_sending  # noqa: E402

application = read_chunked_bodies(django_application)

get_resolver().url_patterns  # noqa: B018 - imports the URLconf, and with it every view module
load_tasks_and_sending()
gc.collect()
gc.freeze()

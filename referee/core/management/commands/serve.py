import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication

from referee.core.scheduler import EmbeddedScheduler


class Server(BaseApplication):
    """gunicorn run in-process, so `referee serve` is one process tree (master + workers)."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings differ across the supported gunicorn versions
                self.cfg.set(key, value)

    def load(self):
        from referee.wsgi import application  # imported in each worker after the fork

        return application


class Command(BaseCommand):
    help = ("Serve the API with gunicorn on 127.0.0.1 (access log on stdout); without a broker also run "
            "the periodic jobs (REFEREE_EMBEDDED_SCHEDULER).")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000),
                            help="TCP port (default: $PORT or 8000)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, port, host, workers, threads, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)  # the embedded SQLite lives there
        # Workers are forked from this process: they must not share its database connections.
        connections.close_all()
        config = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": "-",
            "errorlog": "-",
            "timeout": 60,
            "graceful_timeout": 10,
            "proc_name": "referee",
            "control_socket_disable": True,  # gunicorn ≥ 25.1 would otherwise open a socket in $HOME
        }
        if settings.REFEREE_EMBEDDED_SCHEDULER:
            config.update(scheduler_hooks(EmbeddedScheduler(settings.CELERY_BEAT_SCHEDULE)))
        Server(config).run()


def scheduler_hooks(scheduler: EmbeddedScheduler) -> dict:
    """gunicorn server hooks running `scheduler` in the master: one timer per server whatever the
    number of workers, started only once the socket is bound (a second `serve` on a taken port
    runs no jobs) and stopped when the server exits."""

    def when_ready(server):
        scheduler.start()

    def on_exit(server):
        scheduler.stop()

    return {"when_ready": when_ready, "on_exit": on_exit}

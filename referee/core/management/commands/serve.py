import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from gunicorn.app.base import BaseApplication

from referee import gunicorn_config


class Server(BaseApplication):
    """gunicorn run in-process, so `referee serve` is one process tree (master + workers)."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        # Names that are not gunicorn settings (module attributes, options of other gunicorn
        # versions) are skipped, as gunicorn's own --config loader does.
        for key, value in {**vars(gunicorn_config), **self.options}.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        from referee.wsgi import application  # imported in each worker after the fork

        return application


class Command(BaseCommand):
    help = ("Serve the API with gunicorn on 127.0.0.1 (access log on stdout); without a broker of its own "
            "also a Celery worker and beat for the background and periodic jobs (REFEREE_EMBEDDED_WORKER).")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000),
                            help="TCP port (default: $PORT or 8000)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=2)
        # A request waiting for SQLite's write lock holds its thread: 2 × 8 threads leave some free
        # for /health/ and reads while a burst of writers queues for the lock.
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, port, host, workers, threads, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)  # the embedded SQLite lives there
        env = dict(os.environ)
        if not os.environ.get("SITE_URL"):
            # Links in mail point at the port actually served. The web workers are forked from
            # this process and see the setting; the worker and beat get it in their environment.
            settings.SITE_URL = env["SITE_URL"] = site_url(host, port)
        # Workers are forked from this process: they must not share its database connections.
        connections.close_all()
        # The rest of gunicorn's configuration is shared with the Procfile (referee/gunicorn_config.py).
        config = {"bind": f"{host}:{port}", "workers": workers, "threads": threads, "proc_name": "referee"}
        if settings.REFEREE_EMBEDDED_WORKER:
            config.update(EmbeddedWorker(env).hooks())
        Server(config).run()


def site_url(host: str, port: int) -> str:
    if host in ("", "0.0.0.0", "::"):  # bound everywhere: this machine's own address works
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class EmbeddedWorker:
    """The Celery worker and beat of the embedded default, child processes of `referee serve`.

    They are started from gunicorn's master once its socket is bound (a second `serve` on a taken
    port starts none), by fork and exec: fresh interpreters that inherit no thread and no lock.
    The master itself never runs a thread, so the web workers it forks inherit none either (a
    lock held by a thread at fork time stays held forever in the child). Beat runs the periodic
    jobs; the worker runs them, the mail queued in requests and the conflict detections."""

    def __init__(self, env: dict, threads: int = 4):
        celery = [sys.executable, "-m", "celery", "-A", "referee"]
        self.commands = {
            # The only worker: no other worker needs a share of the queue, so it may take several
            # messages per thread (production keeps one, CELERY_WORKER_PREFETCH_MULTIPLIER).
            "worker": [*celery, "worker", "--pool", "threads", "--concurrency", str(threads), "--prefetch-multiplier",
                       "4", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                       "--hostname", "embedded@%h"],
            "beat": [*celery, "beat", "--loglevel", "INFO",
                     "--schedule", str(Path(settings.VAR_DIR) / "celerybeat-schedule")],
        }
        # Log lines reach a redirected stdout (a file, a pipe) when they happen, not in 8 KiB blocks.
        self.env = {**env, "PYTHONUNBUFFERED": "1"}
        self.children: list[subprocess.Popen] = []

    def start(self) -> None:
        self.children = [subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL)
                         for argv in self.commands.values()]

    def stop(self, timeout: float = 15) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # warm shutdown: running tasks finish
        for child in self.children:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children = []

    def hooks(self) -> dict:
        """gunicorn server hooks: start with the bound server, stop when it exits."""
        return {"when_ready": lambda server: self.start(), "on_exit": lambda server: self.stop()}

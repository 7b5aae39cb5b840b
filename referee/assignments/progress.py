"""How long engine work tells its progress and learns that it was cancelled (issue 13).

`affinities.compute_affinities`/`refresh_if_stale` and `generation.generate_assignments` take a
`Progress`. The synchronous API actions pass none (`SILENT`: it does nothing); a background job
passes its own (`matching_jobs.JobProgress`), which writes each step to the job row and raises
`Cancelled` once the job is no longer running. The work calls `step` only outside transactions
(what it writes there is seen at once), `check` between steps inside one, and `finish` last, inside
the transaction that writes its result: a job cancelled before then has written nothing."""


class Cancelled(Exception):
    """The job was cancelled, or failed by the stalled-job sweep: the work stops. Raised inside a
    transaction it rolls that transaction back."""


class Progress:
    """Reports nowhere and never stops the work."""

    def step(self, stage: str) -> None:
        """The next step starts (the previous one is done); `stage` says what it does, in words."""

    def check(self) -> None:
        """Between steps inside a transaction: raise `Cancelled` if the work must stop."""

    def finish(self, result: dict) -> None:
        """The work's result is written: the last moment it may still be stopped (rolled back)."""


SILENT = Progress()

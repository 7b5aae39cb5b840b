"""Conflict actions on a call: coi-configuration, detect-conflicts, conflicts, summary (§3.5)."""


class ConflictCallActions:
    pass

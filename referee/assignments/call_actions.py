"""Assignment actions on a call: create-manual-assignment, generation, sending (§3.5)."""


class AssignmentCallActions:
    pass

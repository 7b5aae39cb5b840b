"""Pool actions on a call: `/api/proposal-protected-calls/{uuid}/reviewer-pool/` (§3.5)."""


class PoolCallActions:
    pass

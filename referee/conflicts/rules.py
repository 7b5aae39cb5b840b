"""COI rules (§5.8): which rule governs a conflict, and which conflicts block.

The rule depends on the call's COI configuration, so it is stored on each conflict (`rule`) and
re-applied in one UPDATE whenever the configuration changes; blocking is then a plain filter
usable in any query, across calls."""

from django.db.models import Case, Q, Value, When

from referee.conflicts.enums import CoiRule, ConflictStatus, Severity

RULE_BY_SEVERITY = {Severity.REAL: CoiRule.RECUSAL_REQUIRED, Severity.APPARENT: CoiRule.MANAGEMENT_ALLOWED,
                    Severity.POTENTIAL: CoiRule.DISCLOSURE_ONLY}

# Blocking ⇔ recused, or pending under a rule other than disclosure-only.
BLOCKING = Q(status=ConflictStatus.RECUSED) | (Q(status=ConflictStatus.PENDING) & ~Q(rule=CoiRule.DISCLOSURE_ONLY))


def rule_for(config, coi_type: str, severity: str) -> str:
    if coi_type in config.recusal_required_types:
        return CoiRule.RECUSAL_REQUIRED
    if coi_type in config.management_allowed_types:
        return CoiRule.MANAGEMENT_ALLOWED
    if coi_type in config.disclosure_only_types:
        return CoiRule.DISCLOSURE_ONLY
    return RULE_BY_SEVERITY[severity]


def rule_expression(config):
    """SQL twin of `rule_for`, for bulk updates."""
    return Case(
        When(coi_type__in=list(config.recusal_required_types), then=Value(CoiRule.RECUSAL_REQUIRED)),
        When(coi_type__in=list(config.management_allowed_types), then=Value(CoiRule.MANAGEMENT_ALLOWED)),
        When(coi_type__in=list(config.disclosure_only_types), then=Value(CoiRule.DISCLOSURE_ONLY)),
        When(severity=Severity.REAL, then=Value(CoiRule.RECUSAL_REQUIRED)),
        When(severity=Severity.APPARENT, then=Value(CoiRule.MANAGEMENT_ALLOWED)),
        default=Value(CoiRule.DISCLOSURE_ONLY),
    )

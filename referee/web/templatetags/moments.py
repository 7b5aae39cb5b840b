"""`{{ value|moment }}`: a time in the reader's time zone with its UTC date in a tooltip.

Users have no time zone of their own yet, so the reader's zone is the active one (settings
TIME_ZONE, UTC) until they do: docs/decisions.md, "Reviewer pages: assignments"."""

from datetime import UTC

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.filter
def moment(value):
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html('<time datetime="{}" title="{} UTC">{}</time>', value.astimezone(UTC).isoformat(),
                       value.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), local.strftime("%d %b %Y, %H:%M %Z"))

"""Moments as people read them: in the user's time zone (the active one: `web.pages.signed_in`
activates `User.time_zone`, UTC when unset), the UTC date in a tooltip, and the time left before one."""

from datetime import UTC

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil

register = template.Library()


@register.filter
def moment(value):
    """`<time>` with the local date and time, the exact UTC moment in its `title` and `datetime`."""
    if value is None:
        return ""
    local, utc = timezone.localtime(value), value.astimezone(UTC)
    return format_html('<time datetime="{}" title="{} UTC">{}</time>', utc.isoformat(),
                       utc.strftime("%Y-%m-%d %H:%M"), local.strftime("%a %-d %b %Y, %H:%M %Z"))


@register.filter
def time_left(value):
    """"3 days, 4 hours left", or "passed" once the moment is behind us."""
    if value is None:
        return ""
    if value <= timezone.now():
        return "passed"
    return f"{timeuntil(value, depth=2)} left"

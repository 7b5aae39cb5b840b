"""Domain actions on users and tokens (CLI, API and admin share them)."""

from django.db import transaction
from django.db.models import Q
from rest_framework.authtoken.models import Token

from referee.core.audit import record
from referee.core.enums import AuditEventType
from referee.core.errors import FieldError
from referee.core.models import UNKNOWN_TIME_ZONE, User, time_zones

ROLE_FLAGS = ("is_staff", "is_support", "is_active")
OWN_FLAG_REFUSALS = {
    "is_staff": "You cannot remove your own staff status.",
    "is_active": "You cannot deactivate your own account.",
}
LAST_STAFF = "This is the only active staff user: make another user staff first."


def token_for(user: User) -> str:
    """The user's one API token (40 hex), created when the user (or staff, with `referee token`)
    first asks for it: password sign-in, `users/me/`, `referee createuser`/`token`. Creating a user
    creates none, so the many users an import brings (authors, team members) hold no credential
    nobody asked for."""
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


@transaction.atomic
def create_user(username: str, *, email: str = "", password: str | None = None, first_name: str = "",
                last_name: str = "", is_staff: bool = False, is_support: bool = False) -> User:
    user = User(username=username, email=email, first_name=first_name, last_name=last_name,
                is_staff=is_staff, is_support=is_support)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


def refusal_of_role_change(user: User, actor: User | None, changes: dict, staff) -> FieldError | None:
    """Why turning off `user`'s staff or active flag is refused, if it is: nobody removes their
    own, and a deployment never loses its last active staff user (nobody could then manage users).
    `staff`: the active staff users as they are now."""
    lost = [flag for flag in OWN_FLAG_REFUSALS if getattr(user, flag) and changes.get(flag) is False]
    if not lost:
        return None
    if actor is not None and actor.pk == user.pk:
        return FieldError(lost[0], OWN_FLAG_REFUSALS[lost[0]])
    if user.is_staff and user.is_active and not any(u.pk != user.pk and u.is_staff and u.is_active for u in staff):
        return FieldError(lost[0], LAST_STAFF)
    return None


@transaction.atomic
def update_user(user: User, *, actor: User | None, changes: dict) -> User:
    """Apply validated `changes` to `user`; a change of role flags is audited.

    The active staff users and `user` are locked in id order: two requests taking the staff flag
    from each other run in turn, and the second sees the first's change (no deadlock, no race)."""
    staff = list(User.objects.select_for_update().filter(Q(is_staff=True, is_active=True) | Q(pk=user.pk))
                 .order_by("pk"))
    user = next(u for u in staff if u.pk == user.pk)
    refusal = refusal_of_role_change(user, actor, changes, staff)
    if refusal is not None:
        raise refusal
    before = {flag: getattr(user, flag) for flag in ROLE_FLAGS}
    for field, value in changes.items():
        setattr(user, field, value)
    user.save()
    changed = {flag: getattr(user, flag) for flag in ROLE_FLAGS if getattr(user, flag) != before[flag]}
    if changed:
        record(AuditEventType.USER_ROLES_CHANGED, user, actor=actor, message=f"{user.username}: {changed}", changes=changed)
    return user


def set_time_zone(user: User, zone: str) -> User:
    """The zone the pages show `user` times in ("" for UTC). A display preference, not a state
    change of the subsystem: no audit event."""
    if zone and zone not in time_zones():
        raise FieldError("time_zone", UNKNOWN_TIME_ZONE)
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    return user

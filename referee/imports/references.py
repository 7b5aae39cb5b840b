"""Checks of an import file's references against itself and the database, before any write.

User references (a username, or an e-mail address when they contain "@") are replaced by the
username the loader will find, so the loader never has to guess. A reference to a record that is
in the file but malformed is not reported again: its own error already is.
"""

from referee.calls.models import Round
from referee.core.models import Customer, User
from referee.imports.checks import show
from referee.imports.schema import ImportData, Record, unique
from referee.reviewers.models import ReviewerProfile


def resolve(data: ImportData, errors: list[str]) -> None:
    """Check every reference of the well-formed records; problems go to `errors`."""
    References(data, errors).check()


class References:
    def __init__(self, data: ImportData, errors: list[str]):
        self.data, self.errors = data, errors
        users = [r.values for r in data.sections["users"]]
        self.usernames = {u["username"] for u in users}
        self.emails = {u["email"].lower(): u["username"] for u in users if u.get("email")}
        self.orgs = {o.values["name"] for o in data.sections["organisations"]}

    def missing(self, section: str, label: str, name: str, value: str, problem: str) -> None:
        if value.lower() not in self.data.declared.get(section, ()):
            self.errors.append(f"{label}: {name}: {problem}")

    def user(self, label: str, name: str, value: str) -> str | None:
        """The username `value` refers to (file first, then database), or None and an error."""
        if "@" in value and value.lower() in self.emails:
            return self.emails[value.lower()]
        if value in self.usernames:
            return value
        lookup = {"email__iexact": value} if "@" in value else {"username": value}
        matches = list(User.objects.filter(**lookup).values_list("username", flat=True)[:2])
        if len(matches) == 1:
            return matches[0]
        if matches:
            self.errors.append(f"{label}: {name}: e-mail {show(value)} matches several users")
        else:
            self.missing("users", label, name, value, f"user {show(value)} is not in users and does not exist")
        return None

    def org(self, record: Record, name: str = "organisation") -> None:
        value = record.values.get(name)
        if value is not None and value not in self.orgs and not Customer.objects.filter(name=value).exists():
            self.missing("organisations", record.label, name, value,
                         f"organisation {show(value)} is not in organisations and does not exist")

    def one_user(self, record: Record, name: str) -> None:
        if record.values.get(name) is not None:
            record.values[name] = self.user(record.label, name, record.values[name])

    def user_list(self, record: Record, name: str) -> None:
        if name in record.values:
            record.values[name] = [self.user(record.label, name, v) for v in record.values[name]]

    def check(self) -> None:
        s, call = self.data.sections, self.data.call
        if call:
            self.org(call)
            self.user_list(call, "managers")
        round_slugs = {r.values["slug"] for r in s["rounds"]}
        for p in s["proposals"]:
            self.org(p)
            self.one_user(p, "creator")
            self.user_list(p, "team")
            slug = p.values["round"]
            if slug not in round_slugs and not (call and Round.objects.filter(
                    call__slug=call.values["slug"], slug=slug).exists()):
                self.missing("rounds", p.label, "round", slug, f"{show(slug)} is not in rounds and does not exist")
        profiles = set()
        for r in s["reviewers"]:
            self.one_user(r, "user")
            profiles.add(r.values["user"])
            for a in r.values.get("affiliations", []):
                self.org(a)
            if r.values.get("orcid_id") and r.values["user"]:
                taken = ReviewerProfile.objects.filter(orcid_id=r.values["orcid_id"]).exclude(
                    user__username=r.values["user"]).values_list("user__username", flat=True).first()
                if taken:
                    orcid = show(r.values["orcid_id"])
                    self.errors.append(f"{r.label}: orcid_id: {orcid} belongs to user {show(taken)}")
        # Two references to one user (say by username and by e-mail) would be one profile.
        unique(s["reviewers"], lambda v: v["user"], "user", self.errors)
        for e in s["pool"]:
            ref = e.values["reviewer"]
            self.one_user(e, "reviewer")
            username = e.values["reviewer"]
            if username and username not in profiles and not ReviewerProfile.objects.filter(
                    user__username=username).exists():
                self.missing("reviewers", e.label, "reviewer", ref, f"user {show(ref)} has no reviewer profile")
        unique(s["pool"], lambda v: v["reviewer"], "reviewer", self.errors)

"""What the console's page tests share: who gets what, and the URLs of a call's tabs."""

# Reading a call's console (its tabs and fragments): the roles of tests.helpers.ROLES. A call the
# user cannot see is a 404 (as under /api/), one they see but do not manage a 403.
READ = {"anonymous": 302, "stranger": 404, "reviewer": 403, "other_manager": 404, "manager": 200,
        "support": 200, "staff": 200}


def acting(done: int) -> dict:
    """Acting in a call's console (POST): as reading, but support only reads (403); `done` is the
    status of a successful action (302 after a plain POST, 200 for htmx)."""
    return {**READ, "support": 403, "manager": done, "staff": done}


def tab_url(call, tab: str | None = None) -> str:
    return f"/call/{call.uuid}/manage/" + (f"?tab={tab}" if tab else "")

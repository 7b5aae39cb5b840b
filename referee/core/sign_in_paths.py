"""Where a sign-in link's token sits in a URL, apart from `sign_in_links` so that mail delivery
can read it without importing what issues links (which imports the outbox)."""

import re

SIGN_IN_PATH = "/signin/{token}/"
# A token in a mail's text: token_urlsafe(32), 43 characters of the URL-safe alphabet.
TOKEN_IN_TEXT = re.compile(r"/signin/[A-Za-z0-9_-]{43}/")
DELIVERED_TOKEN = "/signin/[delivered]/"


def without_tokens(text: str) -> str:
    """`text` with every sign-in link's token blanked: once a mail has been handed to the mail
    server, its outbox row need not keep a link that signs the recipient in."""
    return TOKEN_IN_TEXT.sub(DELIVERED_TOKEN, text)

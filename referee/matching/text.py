"""Text normalisation shared by affinity scoring and conflict detection (contract §5.1, §5.7).

Pure functions, no Django: tokens for TF-IDF and keyword matching, and normalised keys for
comparing people's names, organisation names, DOIs and ORCIDs.
"""

from __future__ import annotations

import re
import unicodedata

# A fixed list (not scikit-learn's, which drops content words such as "system", "computer" or
# "interest"): articles, pronouns, auxiliaries, prepositions and conjunctions only.
STOP_WORDS = frozenset("""
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how if in into is it its
    itself just may me might more most must my myself no nor not now of off on once only or other
    our ours ourselves out over own same shall she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up upon very via
    was we were what when where which while who whom why will with within without would yet you
    your yours yourself yourselves
    """.split())

# Honorifics and post-nominals that are not part of a person's identity.
NAME_AFFIXES = frozenset("dr prof professor mr mrs ms miss mx sir dame phd md jr sr".split())

_WORD = re.compile(r"[^\W_]+")  # runs of Unicode letters/digits
_TOKEN = re.compile(r"[^\W_]{2,}")  # ... of length ≥ 2
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
APOSTROPHES = re.compile(r"['’ʼ`´]")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_ORCID_PREFIX = re.compile(r"^https?://orcid\.org/", re.IGNORECASE)


def fold(text: str) -> str:
    """Strip accents (NFKD, combining marks dropped) and casefold."""
    return _NON_ASCII.sub(_strip_marks, unicodedata.normalize("NFKD", text)).casefold()


def _strip_marks(run: re.Match) -> str:
    # Only non-ASCII runs are inspected character by character: most text is plain ASCII.
    return "".join(c for c in run.group() if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """Content tokens: letter/digit runs of length ≥ 2, without pure numbers and stop words.

    >>> tokenize("Énergie: AI for H2O in 2024, the state-of-the-art")
    ['energie', 'ai', 'h2o', 'state', 'art']
    """
    return [w for w in _TOKEN.findall(fold(text)) if w not in STOP_WORDS and not w.isnumeric()]


def normalize_key(text: str) -> str:
    """Accent-, case-, punctuation- and whitespace-insensitive key (organisation names, titles)."""
    return " ".join(_WORD.findall(fold(APOSTROPHES.sub("", text))))


def normalize_name(name: str) -> str:
    """Normalised personal name: "Dr. José  O'Neil" -> "jose oneil", "Smith, John" -> "john smith".

    Apostrophes join ("O'Neil" -> "oneil"), other punctuation separates ("Jean-Luc" -> "jean luc"),
    honorifics/post-nominals are dropped, and the bibliographic "Surname, Given" order is turned
    around so both spellings of a co-author compare equal.
    """
    surname, comma, given = name.partition(",")
    words = [w for w in normalize_key(surname).split() if w not in NAME_AFFIXES]
    if comma:
        given_words = [w for w in normalize_key(given).split() if w not in NAME_AFFIXES]
        words = given_words + words  # "John Smith, PhD" leaves nothing to move in front
    return " ".join(words)


def normalize_doi(doi: str) -> str:
    """DOIs are case-insensitive; resolver prefixes are not part of them."""
    return _DOI_PREFIX.sub("", doi.strip()).casefold()


def normalize_orcid(orcid: str | None) -> str:
    """ORCID iD without resolver prefix, upper-case check digit; "" when absent."""
    return _ORCID_PREFIX.sub("", (orcid or "").strip()).upper()

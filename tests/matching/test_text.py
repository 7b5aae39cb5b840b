import pytest

from referee.matching.text import STOP_WORDS, normalize_doi, normalize_key, normalize_name, normalize_orcid, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("AI and H2O", ["ai", "h2o"]),  # short acronyms and letter/digit runs are kept
        ("Énergie NUCLÉAIRE", ["energie", "nucleaire"]),  # accents stripped, casefolded
        ("Straße", ["strasse"]),  # casefold, not lower
        ("COVID-19 in 2024", ["covid"]),  # pure numbers dropped, "in" is a stop word
        ("3D printing", ["3d", "printing"]),  # digits inside a token are fine
        ("a b c x-y", []),  # single characters dropped
        ("state-of-the-art", ["state", "art"]),  # punctuation separates
        ("snake_case", ["snake", "case"]),  # underscore is not a letter
        ("The analysis of the data", ["analysis", "data"]),
        ("", []),
    ],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


def test_stop_list_keeps_content_words():
    # scikit-learn's list would drop these; they carry meaning in reviewer matching
    assert not {"system", "computer", "interest", "bill", "fire"} & STOP_WORDS
    assert tokenize("computer system") == ["computer", "system"]


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("Dr. José  O'Neil", "jose oneil"),
        ("JOSE ONEIL", "jose oneil"),
        ("Prof. Dr. Anna-Lena Müller", "anna lena muller"),
        ("Smith, John A.", "john a smith"),
        ("John Smith, PhD", "john smith"),
        ("John Smith Jr.", "john smith"),
        ("  Zoë   d’Arc ", "zoe darc"),
        ("", ""),
        ("Dr.", ""),
    ],
)
def test_normalize_name(name, normalised):
    assert normalize_name(name) == normalised


def test_normalize_key_keeps_words_only():
    assert normalize_key("University of  OSLO!") == "university of oslo"
    assert normalize_key("Saint-Étienne's Lab") == "saint etiennes lab"


def test_normalize_identifiers():
    assert normalize_doi(" https://doi.org/10.1000/ABC.1 ") == "10.1000/abc.1"
    assert normalize_doi("doi:10.1000/x") == normalize_doi("10.1000/X")
    assert normalize_orcid("https://orcid.org/0000-0002-1825-009x") == "0000-0002-1825-009X"
    assert normalize_orcid(None) == normalize_orcid("  ") == ""

"""Which spellings of a name can be one person (co-authorship, issue 10 item 4)."""

import pytest

from referee.matching.names import FIRST_NAME, INITIAL, SAME_NAME, ParsedName, match_rule, parse_name

# (one spelling, another, the rule that makes them one person)
MATCH = [
    # an initial matches a name given as that initial, with or without its dot
    ("Y. Yang", "Yinfei Yang", INITIAL),
    ("Y Yang", "Yinfei Yang", INITIAL),
    ("Yang, Y.", "Yinfei Yang", INITIAL),
    ("Y. Yang", "Y Yang", INITIAL),
    ("J.Smith", "John Smith", INITIAL),
    ("J. A. Smith", "John Smith", INITIAL),
    ("J. A. Smith", "John Adam Smith", INITIAL),
    # initials of a hyphenated given name
    ("J.-L. Picard", "Jean-Luc Picard", INITIAL),
    ("J.L. Picard", "Jean-Luc Picard", INITIAL),
    ("J. Picard", "Jean-Luc Picard", INITIAL),
    ("Y.-X. Zhang", "Yuxuan Zhang", INITIAL),
    # the same written-out names, after folding accents, case, punctuation and order
    ("Yinfei Yang", "YINFEI YANG", SAME_NAME),
    ("José Müller", "Jose Muller", SAME_NAME),
    ("Zoë Ødegård", "zoe odegard", SAME_NAME),
    ("Łukasz Kowalski", "Lukasz Kowalski", SAME_NAME),
    ("Smith, John", "John Smith", SAME_NAME),
    ("Dr. Jane Doe, PhD", "Jane Doe", SAME_NAME),
    ("Sean O'Neil", "Sean ONeil", SAME_NAME),
    ("Yu-Xuan Zhang", "Yuxuan Zhang", SAME_NAME),  # a hyphen in a given name is not a difference
    ("Yu Xuan Zhang", "Yu-Xuan Zhang", SAME_NAME),
    ("Anna Müller-Schmidt", "Müller-Schmidt, Anna", SAME_NAME),
    ("van Beethoven, Ludwig", "Ludwig van Beethoven", SAME_NAME),
    ("Ludwig van Beethoven", "Ludwig Beethoven", SAME_NAME),  # the particle is not a given name
    ("Madonna", "MADONNA", SAME_NAME),
    # first names agree, a later given name is missing or abbreviated on one side
    ("John A. Smith", "John Smith", FIRST_NAME),
    ("John Adam Smith", "John A. Smith", FIRST_NAME),
    ("Maria José García", "María García", FIRST_NAME),
]

NO_MATCH = [
    # the examples: same surname and initial, different first names
    ("Yinfei Yang", "Yiming Yang"),
    ("Yu Zhang", "Yuyan Zhang"),
    ("Xuechen Li", "Xinjian Li"),
    ("Jean Picard", "Jean-Luc Picard"),  # a hyphenated first name is one name
    ("John A. Smith", "John B. Smith"),  # different middle initials
    ("J. A. Smith", "J. B. Smith"),
    ("K. Doe", "Jane Doe"),  # another initial
    ("J.-L. Picard", "J.-M. Picard"),
    ("Doe", "Jane Doe"),  # a bare surname is nobody in particular
    ("Jane Doe", "Jane Roe"),
    ("Anna Müller-Schmidt", "Anna Schmidt"),  # a hyphenated surname is one surname
    ("YF Yang", "Yinfei Yang"),  # capitals without dots are read as a name, not initials
]


@pytest.mark.parametrize(("a", "b", "rule"), MATCH)
def test_spellings_of_one_person_match_by_their_rule(a, b, rule):
    assert match_rule(parse_name(a), parse_name(b)) == rule
    assert match_rule(parse_name(b), parse_name(a)) == rule  # symmetric
    assert parse_name(a).key == parse_name(b).key  # the index brings them together


@pytest.mark.parametrize(("a", "b"), NO_MATCH)
def test_different_people_do_not_match(a, b):
    assert match_rule(parse_name(a), parse_name(b)) is None
    assert match_rule(parse_name(b), parse_name(a)) is None


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("Jean-Luc Picard", ParsedName("picard", (("jean", "luc"),))),
        ("J.-L. Picard", ParsedName("picard", (("j", "l"),))),
        ("Picard, Jean Luc", ParsedName("picard", (("jean",), ("luc",)))),
        ("Prof. Dr. Ludwig van der Beethoven Jr.", ParsedName("beethoven", (("ludwig",),))),
        ("Van Nguyen", ParsedName("nguyen", (("van",),))),  # a first given name is never a particle
        ("Madonna", ParsedName("madonna", ())),
    ],
)
def test_parse_name(name, parsed):
    assert parse_name(name) == parsed


@pytest.mark.parametrize("blank", ["", "  ", " , ", "Dr. PhD", "--"])
def test_nothing_left_is_no_name(blank):
    assert parse_name(blank) is None


def test_index_key_is_surname_and_first_letter():
    assert parse_name("Yinfei Yang").key == parse_name("Yiming Yang").key == "yang,y"
    assert parse_name("Madonna").key == "madonna"

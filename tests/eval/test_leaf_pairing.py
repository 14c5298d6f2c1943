"""How the real-corpus evaluation pairs labelled and served leaves (eval.real_eval.leaves.compare).

Free-text leaves match by kind and count; among leaves of one key the one of the same role is paired first, so
the order in which the service lists a document's governing conditions and an item's own does not make role errors.
"""

from eval.real_eval.leaves import Leaf, compare

OWN = Leaf("undecidable", "eq", "own words", "require")
BARRED = Leaf("undecidable", "eq", "barred words", "exclude")
SIZE = Leaf("size_class", "in", ("中", "小"), "require")


def test_a_governing_exclusion_listed_first_pairs_with_the_labelled_exclusion():
    # Labels list the item's own leaf first and the document's after; the service the other way round.
    out = compare([OWN, SIZE, BARRED], [BARRED, SIZE, OWN])
    assert len(out.tp) == 3 and not out.missed and not out.extra
    assert out.structure_errors == []
    assert out.structure_true == 1 and out.structure_found == 1


def test_a_role_read_wrongly_is_still_an_error_whatever_the_order():
    read_as_require = Leaf("undecidable", "eq", "barred words", "require")
    for predicted in ([read_as_require, OWN], [OWN, read_as_require]):
        out = compare([OWN, BARRED], predicted)
        assert len(out.tp) == 2
        assert out.structure_errors == ["role exclude read as require"]
        assert out.structure_found == 0


def test_pairing_by_role_changes_no_count():
    # Three labelled free-text leaves and two served: two hits and one miss, in every order.
    extra_rule = Leaf("undecidable", "eq", "x", "bonus")
    for predicted in ([BARRED, OWN], [OWN, BARRED], [extra_rule, OWN]):
        out = compare([OWN, OWN, BARRED], predicted)
        assert len(out.tp) == 2 and len(out.missed) == 1 and not out.extra


def test_a_served_exclusion_short_of_the_labelled_count_pairs_with_the_labelled_exclusion():
    # Labels: two own requirements and a governing exclusion; served: one requirement and the exclusion.
    # The missed leaf is a requirement, and no role is wrong.
    out = compare([OWN, OWN, BARRED], [BARRED, OWN])
    assert [t.role for t, _ in out.tp] == ["require", "exclude"]
    assert [m.role for m in out.missed] == ["require"]
    assert out.structure_errors == []

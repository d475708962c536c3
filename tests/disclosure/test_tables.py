import pytest

from safepupil.disclosure import Dimension
from safepupil.errors import QueryError

LA = Dimension("la", ("A", "B", "C"), (("R1", ("A", "B")), ("R2", ("C",))))


def test_codes_levels_children_and_leaves() -> None:
    assert LA.all_codes == ("A", "B", "C", "R1", "R2", "Total")
    assert [LA.level(c) for c in LA.all_codes] == [0, 0, 0, 1, 1, 2]
    assert LA.children("Total") == ("R1", "R2")
    assert LA.children("R1") == ("A", "B")
    assert LA.children("A") == ()
    assert LA.leaves("Total") == ("A", "B", "C")
    assert LA.leaves("R1") == ("A", "B")
    assert LA.leaves("C") == ("C",)


def test_a_flat_dimension_has_its_total_one_level_up() -> None:
    sex = Dimension("sex", ["F", "M"])  # lists are accepted and stored as tuples
    assert sex.codes == ("F", "M")
    assert sex.children("Total") == ("F", "M")
    assert sex.level("Total") == 1


@pytest.mark.parametrize(
    ("codes", "groups", "total"),
    [
        ((), (), "Total"),
        (("A", "A"), (), "Total"),
        (("A", "Total"), (), "Total"),
        (("A", "B"), (("G", ("A",)),), "Total"),  # B in no group
        (("A", "B"), (("G", ("A", "B")), ("H", ("B",))), "Total"),  # B in two groups
        (("A", "B"), (("A", ("A", "B")),), "Total"),  # group code reuses a leaf
        (("A", "B"), (("G", ("A", "B")), ("E", ())), "Total"),  # empty group
        (("A", "B"), (("G", ("A", "B")),), "G"),  # total reuses a group code
    ],
)
def test_invalid_dimensions_cannot_be_built(codes, groups, total) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError):
        Dimension("d", codes, groups, total)

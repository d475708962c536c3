from pathlib import Path

import pytest

from safepupil.collection.xml_prolog import PROLOG_LIMIT, refuse_dtd
from safepupil.errors import InputFileError

REFUSED = [
    ('<!DOCTYPE m [<!ENTITY a "x">]><Message/>', "line 1, column 1"),
    ('<?xml version="1.0"?>\n<!DOCTYPE m SYSTEM "file:///etc/x"><Message/>', "line 2, column 1"),
    ("<!-- <Message> in a comment -->\n  <!DOCTYPE m><Message/>", "line 2, column 3"),
    ('<?pi <Message>?><!ENTITY x "y"><Message/>', "line 1, column 17"),
    ("\ufeff<!DOCTYPE m><Message/>", "line 1, column 1"),
]
ACCEPTED = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<Message/>',
    "<!-- a comment --><?pi x?>\n\n<Message><!-- later comments are the parser's --></Message>",
    "<Message>text with <!DOCTYPE inside the body is the parser's business</Message>",
    "",
]


@pytest.mark.parametrize(("text", "position"), REFUSED)
def test_a_dtd_anywhere_in_the_prolog_is_refused(tmp_path: Path, text: str, position: str) -> None:
    path = tmp_path / "r.xml"
    path.write_text(text, "utf-8")
    with pytest.raises(InputFileError, match="DTD") as raised:
        refuse_dtd(path)
    assert raised.value.where is not None and raised.value.where.position == position


@pytest.mark.parametrize("text", ACCEPTED)
def test_a_plain_prolog_is_accepted(tmp_path: Path, text: str) -> None:
    path = tmp_path / "r.xml"
    path.write_text(text, "utf-8")
    refuse_dtd(path)


def test_an_endless_prolog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text("<!--" + "x" * PROLOG_LIMIT + "-->\n<Message/>", "utf-8")
    with pytest.raises(InputFileError, match="too long"):
        refuse_dtd(path)

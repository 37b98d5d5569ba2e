"""What every source shares: decoding bytes, titles from the first sentence, tidy paragraphs."""

import pytest

from knowledge.sources import SourceError, decode, derive_title


def test_derived_title_is_cut_at_a_word_boundary() -> None:
    title = derive_title("كلمة " * 50)
    assert title.endswith("…") and len(title) <= 91 and " كلم…" not in title


def test_binary_and_undecodable_files_are_refused() -> None:
    with pytest.raises(SourceError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(SourceError, match="undecodable"):
        decode(b"\xef\xbb\xbf\xff\xfe broken utf-8 after a BOM")


@pytest.mark.parametrize(
    "paragraph",
    [
        "a  b",
        "a\tb",
        "a\u00a0b",
        "a\u2028b",
        "a\u3000b",
        " a b ",
        "\u200fa b",
        "a \u200c b",
        "plain words here",
        "## heading  here",
    ],
)
def test_paragraph_spacing_is_made_single(paragraph: str) -> None:
    from knowledge.sources import _HEADING, _tidy

    expected = " ".join(_HEADING.sub("", paragraph.strip(), count=1).split())
    assert _tidy(paragraph) == expected

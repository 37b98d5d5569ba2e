"""Saved article pages (``knowledge.readers.html``)."""

from pathlib import Path

from knowledge.readers import read_file

from .conftest import write

ARABIC = "وقف إطلاق النار في قطاع غزة بدأ فجر الجمعة بعد أحد عشر يوما من القتال."


def test_html_page(tmp_path: Path) -> None:
    html = (
        '<html lang="ar"><head><title>عنوان | موقع</title>'
        '<link rel="canonical" href="https://example.com/news/1">'
        '<meta property="article:published_time" content="2021-05-21T10:00:00Z">'
        '<meta property="og:title" content="عنوان الخبر"></head><body><nav>الرئيسية</nav>'
        "<article><h1>عنوان الخبر</h1>"
        f"<p>{ARABIC}</p><p>{ARABIC.replace('غزة', 'القدس')}</p></article>"
        "<footer>حقوق النشر</footer></body></html>"
    )
    (article,) = read_file(write(tmp_path / "page.html", html))
    assert article.title == "عنوان الخبر"
    assert article.url == "https://example.com/news/1"
    assert article.published == "2021-05-21"
    assert article.text.split("\n\n")[0] == ARABIC
    assert "حقوق النشر" not in article.text

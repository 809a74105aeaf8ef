"""trafilatura's reading without the comparisons that cannot change it (crawler.extraction.trafilatura_reading)."""

from __future__ import annotations

import inspect

import pytest
import trafilatura
import trafilatura.core
import trafilatura.external
from lxml import html as lxml_html

from crawler.extraction import evaluation
from crawler.extraction import trafilatura_reading as reading
from tests.conftest import REPO

SAMPLE = REPO / "tests" / "corpus_sample"
checked = pytest.mark.skipif(not reading.ACTIVE, reason="a trafilatura release the skip was not checked against: "
                                                          "it compares as always")
STORY = "<p>The council approved the new budget for the rural roads after weeks of talks.</p>"


def page(body: str) -> lxml_html.HtmlElement:
    return lxml_html.fromstring(f"<html><head><title>Budget</title></head><body>{body}</body></html>")


@pytest.fixture
def readability_runs(monkeypatch):
    """How many times trafilatura asked readability."""
    runs = []
    real = trafilatura.external.try_readability

    def counted(tree):
        runs.append(tree)
        return real(tree)

    monkeypatch.setattr(trafilatura.external, "try_readability", counted)
    return runs


@checked
def test_the_comparison_it_replaces_is_the_one_trafilatura_calls():
    # an upgrade of trafilatura that renames or reorders these fails here, not silently in a crawl
    assert list(inspect.signature(trafilatura.external.compare_extraction).parameters) == [
        "cleaned_tree", "raw_tree", "body", "text", "options"]
    assert trafilatura.core.compare_extraction is reading._compare_unless_settled


@checked
def test_a_story_that_is_most_of_its_page_is_not_compared(readability_runs):
    story = page("<nav><a href='/'>Home</a></nav><article>" + STORY * 20 + "</article>")
    document = reading.bare_extraction(story, with_metadata=False)
    assert "rural roads" in document.text and readability_runs == []
    plain = trafilatura.bare_extraction(page("<nav><a href='/'>Home</a></nav><article>" + STORY * 20 + "</article>"),
                                        with_metadata=False)
    assert len(readability_runs) == 1 and plain.text == document.text  # trafilatura itself still compares


@pytest.mark.parametrize("body", [
    # the story is less than half the page: readability, reading more, may win
    "<article>" + STORY * 3 + "</article><div class='more'>" + "<p>Another story of the day, told at length "
    "with many words in it.</p>" * 30 + "</div>",
    # a table-dominated text (more tables than paragraphs): readability may win
    "<article>" + "".join(f"<h2>{part}</h2><table>" + "<tr><td>Roads</td><td>12 million for the roads of the "
                          "county</td></tr>" * 10 + "</table>" for part in ("North", "South")) + STORY + "</article>",
])
def test_a_story_readability_could_win_against_is_compared(readability_runs, body):
    reading.bare_extraction(page(body), with_metadata=False)
    assert len(readability_runs) >= 1


def test_recall_mode_is_always_compared(readability_runs):
    reading.bare_extraction(page("<article>" + STORY * 20 + "</article>"), with_metadata=False, favor_recall=True)
    assert len(readability_runs) >= 1


def test_what_readability_can_read_is_bounded_by_the_pages_text_without_scripts():
    tree = page("<script>var tracking = 'x'.repeat(1000);</script><p>Short   text.</p><iframe src='v'></iframe>"
                "<style>p { color: red }</style>")
    # "Budget" + "Short text." (whitespace folded), the scripts and styles out, "VIDEO" for the iframe
    assert len("Budget Short text.") <= reading.readable_length(tree) <= len("Budget Short text.") + 4 + 5


@pytest.mark.parametrize("corpus", ["wcxb", "news-fundus", "trafeval"])
def test_the_text_is_trafilaturas_own_on_every_sample_page(corpus, readability_runs):
    """The skip changes no text: each sample page reads the same as with the comparison, and the
    comparison was skipped on some of them (else this would test nothing)."""
    skipped = 0
    for entry, _truth, html in evaluation.corpus_pages(SAMPLE / corpus):
        before = len(readability_runs)
        ours = reading.bare_extraction(lxml_html.fromstring(html), url=entry["url"], with_metadata=False)
        skipped += len(readability_runs) == before
        plain = trafilatura.bare_extraction(lxml_html.fromstring(html), url=entry["url"], with_metadata=False)
        assert (ours.text if ours else None) == (plain.text if plain else None), entry["id"]
    assert skipped >= 5 or not reading.ACTIVE


def test_readability_reads_no_more_than_the_bound_on_every_sample_page():
    """``readable_length`` bounds what trafilatura's readability returns, as trafilatura measures it."""
    from lxml import etree
    from trafilatura.utils import trim

    for corpus in ("wcxb", "news-fundus", "trafeval"):
        for entry, _truth, html in evaluation.corpus_pages(SAMPLE / corpus):
            bound = reading.readable_length(lxml_html.fromstring(html))
            read = trafilatura.external.try_readability(lxml_html.fromstring(html))
            assert len(trim(etree.tostring(read, method="text", encoding="unicode"))) <= bound, entry["id"]


@pytest.mark.parametrize("element", ["noembed", "xmp", "noframes"])
def test_a_page_with_text_the_parser_takes_as_written_is_compared(element):
    """A review: readability writes its reading as XML and trafilatura parses it back as HTML, so
    "&" in these elements came back as "&amp;" and readability's text outgrew the page's."""
    sentences = "".join(f"<p>{sentence}</p>" for sentence in (
        "The council approved the new budget for the rural roads after weeks of talks.",
        "Farmers had asked for the money since the floods of last spring cut two bridges.",
        "The mayor said the first works would begin in July and last until the winter.",
        "Opposition members voted against, saying the plan favoured the northern villages.",
        "A second vote on the schools budget is expected at the council's next meeting."))
    embed = (f'<{element}><a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=10s&amp;list=PL1&amp;index=2">'
             f"Watch the council meeting</a></{element}>")
    page = f"<html><head><title>Budget</title></head><body><article>{sentences}{embed * 3}</article></body></html>"
    ours = reading.bare_extraction(lxml_html.fromstring(page), with_metadata=False)
    plain = trafilatura.bare_extraction(lxml_html.fromstring(page), with_metadata=False)
    assert ours.text == plain.text

from __future__ import annotations

import pytest

from crawler.extraction.boilerplate import (
    is_furniture,
    only_a_date,
    strip_boilerplate,
    without_author_bio,
    without_metadata_lines,
)
from crawler.extraction.metadata import clean_authors

BODY = "First paragraph of the story.\nSecond paragraph of the story."


@pytest.mark.parametrize("tail", [
    "\nTags: International news, North Korea, Russia News\nPrevious Post Next Post",
    "\nLabels: Politics, World",
    "\nPrevious Post Next Post",
    "\nShare this:\nRelated posts",
    "\nFiled under: Economy",
])
def test_trailing_furniture_is_removed(tail):
    assert strip_boilerplate(BODY + tail) == BODY


def test_tag_word_inside_a_paragraph_is_kept():
    text = "Tags: are what the shop calls its labels, said the owner, and the name stuck.\n" + BODY
    assert strip_boilerplate(text) == text


def test_site_drop_lines_literal_and_regex():
    text = BODY + "\nRead the full coverage on our app\nPhoto: Reuters"
    assert strip_boilerplate(text, ("read the full coverage on our app", r"re:Photo: .*")) == BODY


@pytest.mark.parametrize(("raw", "names"), [
    (["By Asha Menon and Ravi Kapoor"], ("Asha Menon", "Ravi Kapoor")),
    (["Written by Philip Stefanov"], ("Philip Stefanov",)),
    (["Maria &amp; Katerina"], ("Maria", "Katerina")),
    (["Eduard Kovacs", "(Torsten George)"], ("Eduard Kovacs",)),
    (["Manoj Jain and Jagpreet Chhatwal", "The Commercial Appeal"], ("Manoj Jain", "Jagpreet Chhatwal")),
    (["Asha Menon, Ravi Kapoor", "asha menon"], ("Asha Menon", "Ravi Kapoor")),
    (["https://example.com/author/x", "editor@example.com"], ()),
    (["Jordana Cepelewicz December 3, 2025"], ("Jordana Cepelewicz",)),
    (["Keith Barry Senior Autos Reporter"], ("Keith Barry",)),
    (["Benjamin Preston, Updated by Jon Linkov"], ("Benjamin Preston",)),
    (["By: FlowGuard EMEA on 04-ago-2021"], ("FlowGuard EMEA",)),
    (["Posted byDamien Walter"], ("Damien Walter",)),
    (["Daryl AustinPublished March 9, 2026", "Jane Composted"], ("Daryl Austin", "Jane Composted")),
    (["Maya Perez", "Name", "Sign In", "Sat, 20 Dec"], ("Maya Perez",)),
    (["Tom May", "Gary Marcus"], ("Tom May", "Gary Marcus")),  # months inside names stay
    (["The Investopedia Team"], ("The Investopedia Team",)),
    # beside people, a team, the paper or a job title is not an author; credentials stay with the name
    (["David Jackson", "FullStack Editorial Team"], ("David Jackson",)),
    (["Annemarie Bufe", "UXCam"], ("Annemarie Bufe",)),
    (["Julie Weisenhorn and Natalie Hoidal, Extension horticulture educators"],
     ("Julie Weisenhorn", "Natalie Hoidal")),
    (["Brett Cruz, Home and Digital Security Expert"], ("Brett Cruz",)),
    (["Dylan Bailey, MS, RD, FAND"], ("Dylan Bailey, MS, RD, FAND",)),
    (["Angela Holliday-Bell, MD", "Angela Holliday-Bell, MD"], ("Angela Holliday-Bell, MD",)),
    (["Brian Truitt USA TODAY"], ("Brian Truitt",)),
    (["CM Craig McCarthy"], ("Craig McCarthy",)),
    (["page.head.extra.author"], ()),
    (["Eliz - Product marketer"], ("Eliz",)),
    # a short form of a name given in full, a job title, a credit sentence, a label, initials
    (["Tina Flint Huffman", "Tina Huffman"], ("Tina Flint Huffman",)),
    (["Justin C Meserole; Trial Attorney"], ("Justin C Meserole",)),
    (["This post was written by Danielle Padula"], ("Danielle Padula",)),
    (["The Author", "Page Head Extra Author"], ()),
    (["NB"], ()),
    (["Help Net Security Sponsored"], ("Help Net Security",)),
    (["Released:"], ()),
    (["Valentin Lobstein [email\u00a0protected]"], ("Valentin Lobstein",)),  # Cloudflare's hidden address
    # a section's label is no name; an organisation's name is one credit, "and" and all
    (["Personal finance"], ()),
    (["Jane Roe, professor of history, Yale University"], ("Jane Roe",)),  # who she is, not a co-author
    (["Ask the Doctors", "The Currency editors"], ("Ask the Doctors", "The Currency editors")),
    (["Center for Drug Evaluation and Research"], ("Center for Drug Evaluation and Research",)),
])
def test_clean_authors(raw, names):
    assert clean_authors(raw, publisher="The Commercial Appeal") == names


def test_tag_line_followed_by_story_text_is_kept():
    text = "Tags: Economy, Trade\n" + BODY
    assert strip_boilerplate(text) == text


@pytest.mark.parametrize("label", ["Schlagworte", "Étiquettes", "Etiquetas", "Themen"])
def test_tag_lines_in_other_languages(label):
    assert strip_boilerplate(BODY + f"\n{label}: Kommunalpolitik, Nürnberg") == BODY


@pytest.mark.parametrize("byline", ["By Asha Menon and Ravi Kapoor", "Von Nadia Petrov · 12.06.2024, 10:00 Uhr"])
def test_leading_byline_is_dropped(byline):
    assert strip_boilerplate(f"{byline}\n{BODY}") == BODY


def test_leading_sentence_starting_with_by_is_kept():
    text = "By the end of the year the plan was dead.\n" + BODY
    assert strip_boilerplate(text) == text


@pytest.mark.parametrize("line", [
    "Sign up for our newsletter", "Subscribe", "Join Our Newsletter", "Share", "Follow us",
    "Get the best of Creative Boom delivered to your inbox weekly", "11 min read", "Back to blog",
    "As an Amazon Associate we earn from qualifying purchases", "You Might Also Like", "Related:",
    "© 2025 Demo Daily. All rights reserved.", "Book a demo", "Last updated on September 16th, 2023 at 09:27 am",
    "Published: June 3, 2024", "If you are a human, ignore this field", "Thanks for subscribing!",
    "This post contains affiliate links.", "Learn more about our editorial process.", "Written by",
    "- 11 min read", "Related: What the budget means for you", "Read more: Taxes on inheritance",
    "Also read: How the council votes", "Read more:", "Next article: Budget approved for rural roads",
    "Already have an account? Log in", "This article is exclusive to STAT+ subscribers",
    "Security insights & offers right into your inbox", "Get a free quote today.",
    "Would you like to receive notifications about new posts?",
    "Receive the latest technical articles and release notes in your inbox.",
    "Posted On", "PUBLISHED", "Last updated:", "3 MIN. READ", "Related Post", "Want To Work With Us?", "Reach Us",
    "Contact us today", "Download Now",
    # a menu's, a share bar's or a form's lone labels
    "Search", "Home", "Blog", "Blog Index", "About Us", "Contact Info", "Enter your email address", "Live chat with us",
    "Skip to main content", "AdvertisementAdvertisement", "Instagram", "LinkedIn", "Print", "Copy link",
    "[CTA_MODULE]",  # a template's placeholder left unfilled
    # longer disclosures and pleas
    "Products are chosen independently by our editors. Purchases made through our links may earn us a commission.",
    "We buy all the products we test. If you purchase through our links, we may earn a commission.",
    "Many of the offers that appear on this site are from companies from which we may receive financial "
    "compensation.",
    "Catch up on our in-depth coverage of tech and tools, wellness and more, and follow us on Facebook, "
    "Instagram and TikTok to stay up to date.",
    "This story is funded by readers like you",
    "Read more posts by Jane Roe", "View all articles by Jane Roe", "View author page", "Rate this article",
    "AUTHOR",  # an author box's label
    # a form's consent to be contacted, however long
    "By entering your email address you agree to our Terms of Use and Privacy Policy and consent to receive "
    "emails from Demo Daily about news, events, offers and partner promotions. " * 2,
    "By providing a telephone number and submitting via form on our website, you are consenting to be contacted "
    "by SMS text message. Message & data rates may apply.",
    "Terms of submitting this form: I agree that Demo University may contact me regarding educational services.",
])
def test_calls_to_action_and_legal_lines_are_furniture(line):
    assert is_furniture(line)
    assert strip_boilerplate(BODY + "\n" + line) == BODY


@pytest.mark.parametrize("line", [
    "Key Takeaways", "Log in to your Google Play Developer Console and click on Create.",
    "The newsletter is published once a month.", "Accreditation Commission for Education in Nursing",
    "Share this timeline with vendors to ensure smooth coordination.",
    "Updated rules took effect on June 3, 2024, and changed how the council votes on budgets.",
    "Get started with Google Maps Platform", "[1]", "[NASA]", "Contact us if your road is closed.",
    "Search engines and how they rank pages", "Home prices rose again in May", "Print ads still pay",
    "Stories by the river: what the villagers remember", "Rate this year's budget against the last one.",
    # compensation and commissions in the story itself
    "You may meet your employer with open ended questions to find out more about the role and how you may be "
    "compensated for the extra hours.",
    "The agents we spoke to said they earn a commission of about 3% on each sale, paid when the deal closes.",
    "The Federal Trade Commission says sites must disclose when they earn money from links.",
    # a story's sentence that starts the same way
    "By providing customers with relevant deals, businesses can improve loyalty. You agree it works.",
    "By clicking through the council's budget, residents found that the roads get the most.",
    # a long sentence that mentions a newsletter is prose, whatever its words
    "When the council sent its newsletter to every household, residents learned that you should subscribe "
    "to the alerts before the roads close for the winter works.",
])
def test_story_lines_that_mention_such_words_are_kept(line):
    assert not is_furniture(line)


STORY = "\n".join(f"Paragraph {n} of the story tells what happened at the council meeting." for n in range(6))


@pytest.mark.parametrize("heading", ["About the Author", "Related Articles", "You may also like:",
                                     "More from Demo Daily", "Recommended for you", "Comments", "Related reads:",
                                     "Related articles that may interest you",
                                     "You may also be interested in the following reports:", "MORE NEWS"])
def test_a_late_end_heading_cuts_what_follows(heading):
    tail = f"\n{heading}\nAnother story the site wants you to read next\nAnd one more teaser"
    assert strip_boilerplate(STORY + tail) == STORY


def test_an_end_heading_early_in_the_text_cuts_nothing():
    # a section called "Comments" near the top is the story's own (what readers said, say)
    text = "Comments\n" + STORY
    assert strip_boilerplate(text) == text


def test_a_sentence_that_starts_like_an_end_heading_is_kept():
    text = STORY + "\nRelated articles in the archive show the council has voted this way before."
    assert strip_boilerplate(text) == text


@pytest.mark.parametrize("bio", [
    "Jane Roe is a freelance writer who covers city politics.",
    "* Jane Roe, MD, reviewed this story.",
    "About the author: Jane Roe has covered the council since 2019.",
    "Written by Jane Roe",
])
def test_a_closing_author_bio_is_dropped(bio):
    assert without_author_bio(STORY + "\n" + bio, ("Jane Roe",)) == STORY


def test_a_lone_tags_label_at_the_end_goes():
    assert strip_boilerplate(BODY + "\nTags") == BODY


def test_a_bio_goes_with_its_written_by_line():
    text = STORY + "\nWritten by Jane Roe\nJane Roe is a freelance writer who covers city politics."
    assert without_author_bio(text, ("Jane Roe",)) == STORY


def test_the_author_named_early_or_a_single_name_cuts_nothing():
    text = "Jane Roe is the council's longest-serving member.\n" + STORY
    assert without_author_bio(text, ("Jane Roe",)) == text
    # a one-word author name ("Amanda") is too common a word to start a bio
    text = STORY + "\nAmanda said the vote would be close."
    assert without_author_bio(text, ("Amanda",)) == text
    text = STORY + "\nNobody expected the vote to be close."
    assert without_author_bio(text, ()) == text


def test_a_related_box_inside_the_story_cuts_nothing():
    text = (STORY + "\nRelated Articles\nThe council's budget, explained\n"
            "The story goes on after the box, with the rest of what the council decided on Tuesday night "
            "and what the mayor said about it afterwards.")
    assert "what the mayor said" in strip_boilerplate(text)


def test_a_table_of_contents_goes_and_the_sections_stay():
    text = ("Intro paragraph of the guide to the budget.\nTable of Contents\n- What changed\n- Who pays\n"
            "What changed\nThe council raised the levy.\nWho pays\nEvery household pays it.")
    assert strip_boilerplate(text) == ("Intro paragraph of the guide to the budget.\nWhat changed\n"
                                       "The council raised the levy.\nWho pays\nEvery household pays it.")


def test_a_contents_heading_with_no_repeated_entries_keeps_what_follows():
    text = "Contents\nThe council met on Tuesday.\nIt raised the levy."
    assert strip_boilerplate(text) == "The council met on Tuesday.\nIt raised the levy."


LONG_STORY = "\n".join(f"Paragraph {n} tells how the council voted on the new bridge, who spoke for it, "
                       "who spoke against it and what the residents of the valley said afterwards." for n in range(4))


def test_a_story_printed_twice_is_kept_once():
    # the page carries a desktop and a mobile copy of the article; the reader sees it once
    assert strip_boilerplate(f"{LONG_STORY}\nShare this story\n{LONG_STORY}") == LONG_STORY


@pytest.mark.parametrize("text", [
    # a training plan's steps repeat one line at a time
    "\n".join(f"Week {n}\nWarm up: ten minutes of easy jogging in zone two, then five running drills and strides."
              for n in range(6)),
    # a short passage said twice (a pull quote, an event blurb) is below the length of a repeated story
    "The mayor said the bridge would open in May.\nIt did not.\n" + BODY
    + "\nThe mayor said the bridge would open in May.\nIt did not.",
])
def test_lines_a_story_repeats_itself_are_kept(text):
    assert strip_boilerplate(text) == text


@pytest.mark.parametrize("line", ["October 1, 2025", "- Jan 23", "Updated: Jan 31", "3 January, 2025",
                                  "December 15, 2025 // 8 min read", "2024-11-06", "- Sep 26, 2022"])
def test_a_date_printed_alone_at_the_top_is_metadata_not_text(line):
    assert only_a_date(line)
    assert without_metadata_lines(f"{line}\n{STORY}", ("Jane Roe",)) == STORY
    # further down, a date on its own line is part of the story (a timeline, a diary entry)
    assert without_metadata_lines(f"{STORY}\n{STORY}\n{STORY}\n{line}\n{STORY}", ()).count(line) == 1


@pytest.mark.parametrize("line", ["Jan 23 was the day the council met.", "Last updated: December 2025.",
                                  "In 2024, the budget grew.", "Chapter 3"])
def test_a_line_with_more_than_a_date_stays(line):
    assert not only_a_date(line)
    assert without_metadata_lines(f"{line}\n{STORY}", ()) == f"{line}\n{STORY}"


def test_a_line_that_only_names_an_author_is_metadata_wherever_it_is():
    text = "- Jane Roe\n" + STORY + "\nBy Jane Roe\n" + STORY
    assert without_metadata_lines(text, ("Jane Roe",)) == STORY + "\n" + STORY
    assert without_metadata_lines("Jane Roe and the council\n" + STORY, ("Jane Roe",)).startswith("Jane Roe and")


def test_a_bio_that_opens_with_the_authors_name_alone_still_goes():
    text = STORY + "\nJane Roe\nJane Roe is a freelance writer who covers city politics."
    assert without_metadata_lines(text, ("Jane Roe",)) == STORY


@pytest.mark.parametrize(("byline", "authors"), [  # issue 28: bylines beyond English
    (["Von Anna Schmidt"], ("Anna Schmidt",)),
    (["Par Jean Dupont et Marie Curie"], ("Jean Dupont", "Marie Curie")),
    (["Door Jan de Vries"], ("Jan de Vries",)),
    (["Capital Von Jemima Kelly"], ("Jemima Kelly",)),  # a section's name before the label
    (["Von"], ()), (["Folgen"], ()), (["Twitter Facebook"], ()),  # labels and buttons alone
    (["Adam Vidler, AP"], ("Adam Vidler", "AP")),  # agencies kept as credited
    (["Maria Müller, dpa"], ("Maria Müller", "dpa")),
    (["Foto: Mads Claus Rasmussen"], ()),  # a photo's credit
    (["window._folmq.push(function() {"], ()),  # a script's text
    (["Deutsche Welle (www.dw.com)"], ("Deutsche Welle",)),  # the aside goes
    (["Angela Holliday-Bell, MD"], ("Angela Holliday-Bell, MD",)),  # a credential still joins the name
    (["홍길동 기자"], ("홍길동",)), (["山田太郎 記者"], ("山田太郎",)),  # a job title after the name
    (["Trine Juncher Jørgensen og Tôrtia Reimer-Johansen"], ("Trine Juncher Jørgensen", "Tôrtia Reimer-Johansen")),
    (["Anna Lind och Erik Berg"], ("Anna Lind", "Erik Berg")),
])
def test_bylines_in_other_languages(byline, authors):
    assert clean_authors(byline) == authors


def test_the_publishers_name_is_no_author_beside_a_writer():  # issue 28
    assert clean_authors(["Rachel Riederer", "Stuttgarter Zeitung"], ("The Site", "Stuttgarter Zeitung")) == (
        "Rachel Riederer",)
    assert clean_authors(["Stuttgarter Zeitung"], ("Stuttgarter Zeitung",)) == ()  # the caller falls back to it

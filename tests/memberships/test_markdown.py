"""Descriptions are Markdown; stored HTML descriptions are converted by migration 0002."""

import importlib

import pytest

from memberships.markdown import render_markdown

pytestmark = [pytest.mark.unit]

migration = importlib.import_module("memberships.migrations.0006_event_body_markdown")


def test_stored_html_converts_to_markdown_that_renders_the_same_structure():
    stored = (
        '<p>Intro with <strong>bold</strong> &amp; <a href="https://x.org/a_b">a link</a>.</p>'
        "<h3>What you will take away</h3><ul><li>Practical techniques</li><li>Peers</li></ul>"
        "<p>Line<br>two *stars*</p>"
    )

    converted = migration.html_to_markdown(stored)

    assert converted == (
        "Intro with **bold** & [a link](https://x.org/a_b).\n\n"
        "### What you will take away\n\n- Practical techniques\n- Peers\n\n"
        "Line  \ntwo \\*stars\\*"
    )
    assert str(render_markdown(converted)) == (
        "<p>Intro with <strong>bold</strong> &amp; "
        '<a href="https://x.org/a_b" rel="noopener noreferrer nofollow">a link</a>.</p>\n'
        "<h3>What you will take away</h3>\n<ul>\n<li>Practical techniques</li>\n<li>Peers</li>\n"
        "</ul>\n<p>Line<br>\ntwo *stars*</p>\n"
    )


def test_plain_text_descriptions_stay_as_they_are():
    assert migration.html_to_markdown("Bring a hard case &amp; a coffee.") == (
        "Bring a hard case & a coffee."
    )


def test_markdown_headings_start_below_the_page_title():
    assert str(render_markdown("# Agenda")) == "<h2>Agenda</h2>\n"

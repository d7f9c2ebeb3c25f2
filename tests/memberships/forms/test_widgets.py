"""The time-zone select: the same HTML as Django's own select, without a template per option."""

import re

import pytest
from django import forms
from django.urls import reverse

from memberships.forms.settings import TimeZoneForm
from portal.timezones import canonical_zone_names

pytestmark = [pytest.mark.django_db, pytest.mark.unit]


@pytest.mark.parametrize("zone", ["", "Europe/Dublin", "Asia/Karachi"])
def test_time_zone_select_renders_as_djangos_select(zone):
    form = TimeZoneForm(initial={"time_zone": zone})
    plain = TimeZoneForm(initial={"time_zone": zone})
    plain.fields["time_zone"].widget = forms.Select(
        choices=plain.fields["time_zone"].choices, attrs=form.fields["time_zone"].widget.attrs
    )

    fast, reference = str(form["time_zone"]), str(plain["time_zone"])

    reference = re.sub(r">\s+<", "><", reference)
    # The same options and groups; the <select> carries the same attributes (in its own order).
    assert fast[fast.index("<option") :] == reference[reference.index("<option") :]
    assert 'data-zone-search=""' in fast and 'name="time_zone"' in fast
    # "not chosen yet", UTC, then every canonical zone once.
    assert fast.count("<option") == len(canonical_zone_names()) + 2
    assert fast.count(" selected") == 1


def test_time_zone_select_escapes_a_submitted_value_and_keeps_error_attributes():
    form = TimeZoneForm({"time_zone": '"><script>alert(1)</script>'})

    html = str(form["time_zone"])

    assert form.errors
    assert "<script>" not in html
    assert 'aria-invalid="true"' in html


def test_settings_page_reads_the_zone_database_once_per_process(employee_client):
    canonical_zone_names()
    before = canonical_zone_names.cache_info()

    page = employee_client.get(reverse("memberships:my-settings"))
    saved = employee_client.post(reverse("memberships:my-settings"), {"time_zone": "UTC"})

    after = canonical_zone_names.cache_info()
    assert (page.status_code, saved.status_code) == (200, 302)
    assert after.misses == before.misses
    assert after.hits > before.hits

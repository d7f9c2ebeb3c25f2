"""Forms of the admin: they parse and validate what programme admins type; the services
(called by the ModelAdmins) decide."""

import datetime
import zoneinfo

from django import forms
from django.contrib.admin import widgets
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.timezones import grouped_zone_choices

from ..enums import AttendanceStatus
from ..models import Event, Partner, Sponsorship
from ..models.memberships import MEMBER_NUMBER_MAX_LENGTH
from ..models.sponsorships import SHAREABLE_FIELDS
from ..selectors.eligibility import seats_used
from ..services.claims import SPONSORSHIP_EDITABLE_FIELDS, seats_below_live_message
from ..services.events import EDITABLE_FIELDS


class PartnerAdminForm(forms.ModelForm):
    website = forms.URLField(label=gettext_lazy("website"), required=False, assume_scheme="https")
    webhook_url = forms.URLField(
        label=gettext_lazy("webhook URL"), required=False, assume_scheme="https"
    )
    # The signing secret is write-only here: never rendered back into the page.
    webhook_secret = forms.CharField(
        label=gettext_lazy("webhook signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Leave empty to keep the current secret."),
    )

    class Meta:
        model = Partner
        fields = (
            "name",
            "slug",
            "website",
            "operations_email",
            "notification_channels",
            "webhook_url",
            "webhook_secret",
            "language",
            "is_active",
        )

    def clean_webhook_secret(self) -> str:
        return self.cleaned_data.get("webhook_secret") or self.instance.webhook_secret


class SponsorshipAdminForm(forms.ModelForm):
    eligible_groups = forms.CharField(
        label=gettext_lazy("Eligible IdP groups"),
        required=False,
        help_text=gettext_lazy("Comma-separated group names, e.g. trust-safety, content-review."),
    )
    shared_fields = forms.MultipleChoiceField(
        label=gettext_lazy("Fields shared with the partner"),
        required=False,
        choices=list(SHAREABLE_FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Sponsorship
        fields = SPONSORSHIP_EDITABLE_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["eligible_groups"] = ", ".join(self.instance.eligible_groups)

    def clean_seats(self):
        """The friendly check; the service repeats it under the sponsorship lock."""
        seats = self.cleaned_data.get("seats")
        if seats is not None and self.instance.pk:
            live = seats_used(sponsorship=self.instance)
            if seats < live:
                raise forms.ValidationError(seats_below_live_message(seats=seats, live=live))
        return seats

    def clean_eligible_groups(self) -> list[str]:
        raw = self.cleaned_data.get("eligible_groups") or ""
        return [g.strip() for g in raw.split(",") if g.strip()]


class ReasonForm(forms.Form):
    """The reason an admin gives for declining or revoking memberships."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the audit trail and shown to the employee."),
    )


class MemberNumberForm(forms.Form):
    member_number = forms.CharField(
        label=gettext_lazy("Member number"), max_length=MEMBER_NUMBER_MAX_LENGTH
    )


class EligibilityLookupForm(forms.Form):
    query = forms.CharField(
        label=gettext_lazy("Employee e-mail or employee id"),
        max_length=254,
    )


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster CSV file"),
        help_text=gettext_lazy(
            "Columns: email, employee_id, department, eligible (yes/no). UTF-8."
        ),
    )

    max_bytes = 10 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(gettext_lazy("The file is larger than 10 MB."))
        return upload


class RosterConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)


class SponsorshipRenewForm(forms.Form):
    """The next term of a sponsorship: dates, and the same or a new consent."""

    starts_on = forms.DateField(label=gettext_lazy("Next term starts on"))
    ends_on = forms.DateField(label=gettext_lazy("Next term ends on"))
    consent_label = forms.CharField(
        label=gettext_lazy("Consent label"),
        max_length=28,
        required=False,
        help_text=gettext_lazy("Leave empty to keep the current label."),
    )
    consent_text = forms.CharField(
        label=gettext_lazy("Consent text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Leave empty to keep the current text. A new text makes a new consent version: "
            "members agree to it when they renew."
        ),
    )

    @classmethod
    def initial_for(cls, sponsorship: Sponsorship) -> dict:
        starts = sponsorship.ends_on + datetime.timedelta(days=1)
        length = sponsorship.ends_on - sponsorship.starts_on
        return {"starts_on": starts, "ends_on": starts + length}

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            raise forms.ValidationError(gettext_lazy("The term must end after it starts."))
        return cleaned


# Event times are typed and shown as wall-clock times in the event's own zone.
EVENT_WALL_CLOCK_FIELDS = (
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
)


class WallClockDateTimeField(forms.SplitDateTimeField):
    """A date and a time as typed, with no zone yet: the form knows the event's zone."""

    widget = widgets.AdminSplitDateTime

    def compress(self, data_list):
        if data_list and data_list[0] is not None and data_list[1] is not None:
            return datetime.datetime.combine(*data_list)
        return None


def wall_clock_to_aware(value: datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """`value` read on a clock in `zone`. A time skipped by a daylight-saving jump does not
    exist there and is refused; a time that happens twice is taken the first time."""
    aware = value.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != value:
        raise forms.ValidationError(
            gettext_lazy(
                "%(time)s does not exist in %(zone)s: the clocks skip it for daylight saving "
                "time. Choose another time."
            ),
            params={"time": value.strftime("%Y-%m-%d %H:%M"), "zone": zone.key},
            code="nonexistent_time",
        )
    return aware


class EventAdminForm(forms.ModelForm):
    """Times are entered and shown in the event's own zone (the zone chosen on the same form)
    and stored in UTC, so a host in Los Angeles types the time their attendees see."""

    time_zone = forms.ChoiceField(
        label=gettext_lazy("event time zone"),
        choices=grouped_zone_choices,
        help_text=gettext_lazy(
            "The zone the event is planned in. The times below are in this zone."
        ),
    )
    join_url = forms.URLField(
        label=gettext_lazy("join link"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("Shown only to confirmed registrants."),
    )

    class Meta:
        model = Event
        fields = (*EDITABLE_FIELDS, "topics")
        field_classes = dict.fromkeys(EVENT_WALL_CLOCK_FIELDS, WallClockDateTimeField)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone_name = self.instance.time_zone if self.instance.pk else "UTC"
        self.initial.setdefault("time_zone", zone_name)
        zone = zoneinfo.ZoneInfo(self.initial["time_zone"] or "UTC")
        for name in EVENT_WALL_CLOCK_FIELDS:
            field = self.fields.get(name)
            if field is None:
                continue
            field.help_text = (
                gettext_lazy("In the event's time zone (%(zone)s); stored in UTC.")
                % {"zone": zone.key}
                if self.instance.pk
                else gettext_lazy("In the event's time zone, chosen above; stored in UTC.")
            )
            value = self.initial.get(name)
            if isinstance(value, datetime.datetime) and timezone.is_aware(value):
                # Shown as the event's wall clock, whatever the admin's own zone is.
                self.initial[name] = timezone.make_naive(value, zone)

    def clean(self):
        cleaned = super().clean()
        zone_name = cleaned.get("time_zone")
        if not zone_name:
            return cleaned
        zone = zoneinfo.ZoneInfo(zone_name)
        for name in EVENT_WALL_CLOCK_FIELDS:
            value = cleaned.get(name)
            if isinstance(value, datetime.datetime) and timezone.is_naive(value):
                try:
                    cleaned[name] = wall_clock_to_aware(value, zone)
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return cleaned


class EventCancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason, sent to every registrant"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For example: “The speaker is ill; we will announce a new date.”"),
    )


class AttendanceMarkForm(forms.Form):
    """One choice per confirmed registrant: leave as is, attended, or no-show."""

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.registrations = list(registrations)
        for registration in self.registrations:
            attendance = getattr(registration, "attendance", None)
            self.fields[f"registration_{registration.pk}"] = forms.ChoiceField(
                label=registration.user.display_name,
                required=False,
                choices=[("", gettext_lazy("not marked")), *AttendanceStatus.choices],
                initial=attendance.status if attendance else "",
                widget=forms.RadioSelect,
            )

    def rows(self):
        return [
            (registration, self[f"registration_{registration.pk}"])
            for registration in self.registrations
        ]

    def marks(self) -> dict[int, str]:
        """The registrations whose choice is set (and differs from blank)."""
        return {
            registration.pk: self.cleaned_data[f"registration_{registration.pk}"]
            for registration in self.registrations
            if self.cleaned_data.get(f"registration_{registration.pk}")
        }


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Attendee export (CSV)"),
        help_text=gettext_lazy(
            "From the online platform: one e-mail address a row, in a column named “email” "
            "or in the first column. UTF-8."
        ),
    )
    rest_are_no_shows = forms.BooleanField(
        label=gettext_lazy("Mark every other confirmed registrant as a no-show"), required=False
    )

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(gettext_lazy("The file is larger than 2 MB."))
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(gettext_lazy("The file is not UTF-8 text.")) from exc

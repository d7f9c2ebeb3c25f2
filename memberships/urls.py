"""URLs of the domain: the employee pages, then the partner API."""

from django.urls import path

from .views import claims as claim_views
from .views import events as event_views
from .views import learning as learning_views
from .views import settings as settings_views
from .views.api import events as api_events
from .views.api import memberships as api_memberships

app_name = "memberships"

claims_urlpatterns = [
    path("membership/", claim_views.membership_page, name="membership"),
    path("membership/claim/", claim_views.membership_claim, name="membership-claim"),
    path("membership/waitlist/", claim_views.membership_waitlist, name="membership-waitlist"),
    path(
        "membership/waitlist/leave/",
        claim_views.membership_waitlist_leave,
        name="membership-waitlist-leave",
    ),
    path(
        "membership/<uuid:public_id>/release/",
        claim_views.membership_release,
        name="membership-release",
    ),
]
events_urlpatterns = [
    path("events/", event_views.event_list, name="event-list"),
    path("events/past/", event_views.event_past, name="event-past"),
    path("events/<slug:slug>/", event_views.event_detail, name="event-detail"),
    path("events/<slug:slug>/register/", event_views.event_register, name="event-register"),
    path("events/<slug:slug>/cancel/", event_views.event_cancel, name="event-cancel"),
    path("events/<slug:slug>/calendar.ics", event_views.event_calendar, name="event-calendar"),
    # Feed tokens are URL-safe base64, which is exactly the slug alphabet.
    path("calendar/<slug:token>.ics", event_views.calendar_feed, name="calendar-feed"),
    path("me/events/", event_views.my_events, name="my-events"),
    path("me/settings/", settings_views.my_settings, name="my-settings"),
    path(
        "me/settings/calendar-reset/",
        settings_views.calendar_token_reset,
        name="calendar-token-reset",
    ),
    path("me/data/", settings_views.my_data, name="my-data"),
    path(
        "me/data/my-data.json",
        settings_views.my_data_download,
        {"fmt": "json"},
        name="my-data-json",
    ),
    path(
        "me/data/my-data.csv", settings_views.my_data_download, {"fmt": "csv"}, name="my-data-csv"
    ),
    path("resources/", event_views.resource_list, name="resource-list"),
    path("well-being/", event_views.well_being, name="well-being"),
]
learning_urlpatterns = [
    path("me/learning/", learning_views.learning_record_page, name="learning-record"),
    path("me/learning/settings/", learning_views.learning_settings, name="learning-settings"),
    path(
        "me/learning/<int:year>/summary.pdf",
        learning_views.learning_year_summary,
        name="learning-year-summary",
    ),
    path(
        "me/learning/certificates/<int:registration_id>.pdf",
        learning_views.certificate_download,
        name="certificate-download",
    ),
    path("me/feedback/<int:registration_id>/", learning_views.feedback, name="feedback"),
    path("certificates/verify/", learning_views.certificate_verify_page, name="certificate-verify"),
]
api_urlpatterns = [
    path(
        "api/partner/v1/memberships/",
        api_memberships.membership_list_api,
        name="api-membership-list",
    ),
    path(
        "api/partner/v1/memberships/<uuid:public_id>/activate",
        api_memberships.membership_activate_api,
        name="api-membership-activate",
    ),
    path(
        "api/partner/v1/events/<slug:slug>/registrations/",
        api_events.event_registrations,
        name="api-event-registrations",
    ),
    path(
        "api/partner/v1/events/<slug:slug>/attendance",
        api_events.event_attendance,
        name="api-event-attendance",
    ),
    path(
        "api/partner/v1/events/<slug:slug>/feedback",
        api_events.event_feedback,
        name="api-event-feedback",
    ),
]

urlpatterns = claims_urlpatterns + events_urlpatterns + learning_urlpatterns + api_urlpatterns

"""URLs of the domain. Each area keeps its own list so that work on one does not touch
another's lines."""

from django.urls import path  # noqa: F401 -- used by the areas' lists as they grow

app_name = "memberships"

claims_urlpatterns: list = []
events_urlpatterns: list = []
api_urlpatterns: list = []

urlpatterns = claims_urlpatterns + events_urlpatterns + api_urlpatterns

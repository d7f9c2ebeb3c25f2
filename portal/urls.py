from django.contrib import admin
from django.urls import include, path

from . import ops_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("privacy/", views.privacy, name="privacy"),
    path("language/", views.language_set, name="language-set"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("memberships.urls")),
]

handler500 = "portal.views.server_error"

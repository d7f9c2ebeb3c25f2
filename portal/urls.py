from django.contrib import admin
from django.urls import include, path, re_path

from . import ops_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("privacy/", views.privacy, name="privacy"),
    path("language/", views.language_set, name="language-set"),
    path("admin/", admin.site.urls),
    # allauth's third-party sign-up form and account connections: one IdP identity per
    # account, created only from vetted claims, so these pages do not exist here.
    re_path(r"^accounts/3rdparty/(?:signup/)?$", views.not_found),
    path("scim/v2/", include("portal.scim.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("memberships.urls")),
]

handler500 = "portal.views.server_error"

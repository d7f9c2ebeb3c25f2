"""Admin for the membership programme: partners, sponsorships (with roster import and an
eligibility check), memberships (bulk approve / decline / revoke, CSV export, activation by
hand), the seat waitlist and the read-only audit trail. Every change goes through a service."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import User

from ..csv_export import csv_download
from ..enums import LIVE_MEMBERSHIP_STATUSES, MembershipStatus
from ..exceptions import MembershipError
from ..models import AuditEntry, Membership, Partner, RosterEntry, SeatWaitlistEntry, Sponsorship
from ..models.sponsorships import SHAREABLE_FIELDS
from ..selectors.claims import seats_left, with_seats_used
from ..selectors.eligibility import eligibility_for
from ..services import claims
from ..services.roster import roster_import
from .forms import (
    EligibilityLookupForm,
    MemberNumberForm,
    PartnerAdminForm,
    ReasonForm,
    RosterConfirmForm,
    RosterUploadForm,
    SponsorshipAdminForm,
)

ROSTER_SALT = "memberships.roster-import"
ROSTER_MAX_AGE = 60 * 60


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerAdminForm
    list_display = ("name", "slug", "operations_email", "notification_channels", "has_api_token")
    list_filter = ("is_active", "notification_channels")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    exclude = ("api_token_hash",)
    readonly_fields = ("api_token",)

    @admin.display(boolean=True, description=gettext_lazy("API token"))
    def has_api_token(self, obj) -> bool:
        return bool(obj.api_token_hash)

    @admin.display(description=gettext_lazy("API token"))
    def api_token(self, obj) -> str:
        state = _("set") if obj.pk and obj.api_token_hash else _("not set")
        return _("%(state)s. Create or replace it with: manage.py partner_token %(slug)s") % {
            "state": state,
            "slug": obj.slug or "<slug>",
        }


@admin.register(Sponsorship)
class SponsorshipAdmin(admin.ModelAdmin):
    form = SponsorshipAdminForm
    list_display = (
        "name",
        "partner",
        "starts_on",
        "ends_on",
        "seats_display",
        "seats_used",
        "seats_remaining",
        "requires_approval",
    )
    list_filter = ("partner", "requires_approval", "uses_roster")
    list_select_related = ("partner",)
    search_fields = ("name", "slug", "company")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("tools",)
    fieldsets = (
        (None, {"fields": ("partner", "name", "slug", "company", "tier", "description")}),
        (
            gettext_lazy("Seats, term and fee"),
            {"fields": ("seats", "starts_on", "ends_on", "fee", "fee_currency")},
        ),
        (
            gettext_lazy("Eligibility"),
            {"fields": ("eligible_groups", "uses_roster", "requires_approval", "contact_email")},
        ),
        (
            gettext_lazy("Data sharing and consent"),
            {"fields": ("shared_fields", "consent_text", "consent_version")},
        ),
        (gettext_lazy("Tools"), {"fields": ("tools",)}),
    )

    def get_queryset(self, request):
        return with_seats_used(super().get_queryset(request))

    @admin.display(description=gettext_lazy("seats"), ordering="seats")
    def seats_display(self, obj) -> str:
        return _("unlimited") if obj.seats is None else str(obj.seats)

    @admin.display(description=gettext_lazy("seats used"), ordering="seats_used")
    def seats_used(self, obj) -> int:
        return obj.seats_used

    @admin.display(description=gettext_lazy("seats left"))
    def seats_remaining(self, obj) -> str:
        left = seats_left(obj)
        return "–" if left is None else str(left)

    @admin.display(description=gettext_lazy("tools"))
    def tools(self, obj) -> str:
        if not obj.pk:
            return _("Save the sponsorship first.")
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:memberships_sponsorship_roster_import", args=[obj.pk]),
            _("Import the roster (CSV)"),
            reverse("admin:memberships_sponsorship_eligibility", args=[obj.pk]),
            _("Check an employee's eligibility"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/roster-import/",
                self.admin_site.admin_view(self.roster_import_view),
                name="memberships_sponsorship_roster_import",
            ),
            path(
                "<int:pk>/eligibility/",
                self.admin_site.admin_view(self.eligibility_view),
                name="memberships_sponsorship_eligibility",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, sponsorship, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": sponsorship,
            "sponsorship": sponsorship,
            "title": title,
        }

    def eligibility_view(self, request, pk: int):
        sponsorship = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, sponsorship):
            raise PermissionDenied
        form = EligibilityLookupForm(request.GET or None)
        context = self._context(request, sponsorship, _("Check eligibility"))
        context["form"] = form
        if form.is_valid():
            query = form.cleaned_data["query"].strip()
            person = User.objects.filter(Q(email__iexact=query) | Q(employee_id=query)).first()
            context["person"] = person
            if person is not None:
                context["result"] = eligibility_for(
                    user=person, sponsorship=sponsorship, seats_used=sponsorship.seats_used
                )
                context["live_membership"] = sponsorship.memberships.filter(
                    user=person, status__in=LIVE_MEMBERSHIP_STATUSES
                ).first()
        return TemplateResponse(request, "admin/memberships/sponsorship_eligibility.html", context)

    def roster_import_view(self, request, pk: int):
        sponsorship = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, sponsorship):
            raise PermissionDenied
        context = self._context(request, sponsorship, _("Import the roster"))
        salt = f"{ROSTER_SALT}:{sponsorship.pk}"
        if request.method == "POST" and "payload" in request.POST:
            confirm = RosterConfirmForm(request.POST)
            try:
                text = (
                    signing.loads(confirm.data["payload"], salt=salt, max_age=ROSTER_MAX_AGE)
                    if confirm.is_valid()
                    else None
                )
            except signing.BadSignature:
                text = None
            if text is None:
                messages.error(request, _("The preview expired or was altered. Upload again."))
                return HttpResponseRedirect(request.path)
            result = roster_import(
                sponsorship=sponsorship, file=text, dry_run=False, actor=request.user
            )
            if result.is_imported:
                messages.success(request, _("Roster imported. %(s)s") % {"s": result.summary()})
                return HttpResponseRedirect(
                    reverse("admin:memberships_sponsorship_change", args=[sponsorship.pk])
                )
            context.update(result=result, form=RosterUploadForm())
            return TemplateResponse(
                request, "admin/memberships/sponsorship_roster_import.html", context, status=400
            )
        form = RosterUploadForm(request.POST or None, request.FILES or None)
        context["form"] = form
        status = 200
        if request.method == "POST":
            if form.is_valid():
                raw = form.cleaned_data["file"].read()
                result = roster_import(
                    sponsorship=sponsorship, file=raw, dry_run=True, actor=request.user
                )
                context["result"] = result
                if result.is_valid:
                    text = raw.decode("utf-8-sig")
                    context["confirm_form"] = RosterConfirmForm(
                        initial={"payload": signing.dumps(text, salt=salt, compress=True)}
                    )
                else:
                    status = 400
            else:
                status = 400
        return TemplateResponse(
            request, "admin/memberships/sponsorship_roster_import.html", context, status=status
        )


@admin.register(RosterEntry)
class RosterEntryAdmin(admin.ModelAdmin):
    """Read-only: the roster changes only by import, so revocations are never skipped."""

    list_display = ("email", "employee_id", "department", "is_eligible", "sponsorship")
    list_filter = ("sponsorship", "is_eligible")
    list_select_related = ("sponsorship",)
    search_fields = ("email", "employee_id", "department")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _reason_action(modeladmin, request, queryset, *, service, title: str, done: str):
    """Ask for a reason on an intermediate page, then apply `service` to each membership."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        done_count, errors = 0, []
        for membership in queryset.select_related("user", "sponsorship"):
            try:
                service(
                    membership=membership, actor=request.user, reason=form.cleaned_data["reason"]
                )
                done_count += 1
            except MembershipError as exc:
                errors.append(f"{membership}: {exc}")
        modeladmin.message_user(request, done % {"n": done_count}, messages.SUCCESS)
        for error in errors:
            modeladmin.message_user(request, error, messages.ERROR)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "form": form,
        "memberships": queryset.select_related("user", "sponsorship"),
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/memberships/membership_reason.html", context)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = (
        "user_email",
        "user_name",
        "sponsorship",
        "status",
        "member_number",
        "claimed_at",
        "activated_at",
    )
    list_filter = ("status", "sponsorship__partner", "sponsorship", "claimed_at")
    list_select_related = ("user", "sponsorship", "sponsorship__partner")
    search_fields = ("user__email", "user__name", "user__employee_id", "member_number")
    date_hierarchy = "claimed_at"
    actions = ["approve", "decline", "revoke", "export_csv"]
    readonly_fields = (
        "public_id",
        "user",
        "sponsorship",
        "status",
        "member_number",
        "previous_member_number",
        "activation",
        "consent_version",
        "consent_text",
        "consented_at",
        "shared_data",
        "shared_at",
        "claimed_at",
        "approved_at",
        "activated_at",
        "ended_at",
        "end_reason",
    )

    def has_add_permission(self, request) -> bool:
        return False  # claims are made by employees; the programme team acts on them

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # memberships end (revoke), they are never deleted

    @admin.display(description=gettext_lazy("e-mail"), ordering="user__email")
    def user_email(self, obj) -> str:
        return obj.user.email

    @admin.display(description=gettext_lazy("name"), ordering="user__name")
    def user_name(self, obj) -> str:
        return obj.user.display_name

    @admin.display(description=gettext_lazy("activate"))
    def activation(self, obj) -> str:
        if obj.status != MembershipStatus.PENDING_PARTNER:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:memberships_membership_activate", args=[obj.pk]),
            _("Enter the partner's member number"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/activate/",
                self.admin_site.admin_view(self.activate_view),
                name="memberships_membership_activate",
            ),
            *super().get_urls(),
        ]

    def activate_view(self, request, pk: int):
        membership = get_object_or_404(
            Membership.objects.select_related("user", "sponsorship__partner"), pk=pk
        )
        if not self.has_change_permission(request, membership):
            raise PermissionDenied
        form = MemberNumberForm(
            request.POST or None, initial={"member_number": membership.previous_member_number}
        )
        if request.method == "POST" and form.is_valid():
            try:
                claims.membership_activate(
                    membership=membership,
                    member_number=form.cleaned_data["member_number"],
                    actor=request.user,
                )
            except MembershipError as exc:
                form.add_error("member_number", str(exc))
            else:
                self.message_user(request, _("Membership activated."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:memberships_membership_change", args=[membership.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": membership,
            "membership": membership,
            "title": _("Activate membership"),
            "form": form,
        }
        return TemplateResponse(
            request,
            "admin/memberships/membership_activate.html",
            context,
            status=400 if request.method == "POST" else 200,
        )

    @admin.action(description=gettext_lazy("Approve the selected claims"))
    def approve(self, request, queryset):
        approved, errors = 0, []
        for membership in queryset.select_related("user", "sponsorship"):
            try:
                claims.membership_approve(membership=membership, actor=request.user)
                approved += 1
            except MembershipError as exc:
                errors.append(f"{membership}: {exc}")
        self.message_user(request, _("%(n)s approved.") % {"n": approved}, messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(description=gettext_lazy("Decline the selected claims (asks for a reason)"))
    def decline(self, request, queryset):
        return _reason_action(
            self,
            request,
            queryset,
            service=claims.membership_decline,
            title=_("Decline claims"),
            done=_("%(n)s declined."),
        )

    @admin.action(description=gettext_lazy("Revoke the selected memberships (asks for a reason)"))
    def revoke(self, request, queryset):
        return _reason_action(
            self,
            request,
            queryset,
            service=claims.membership_revoke,
            title=_("Revoke memberships"),
            done=_("%(n)s revoked."),
        )

    @admin.action(description=gettext_lazy("Export the selected members as CSV"))
    def export_csv(self, request, queryset):
        """Only what each member agreed to share (their consented snapshot)."""
        rows = list(queryset.select_related("sponsorship__partner").order_by("claimed_at", "pk"))
        fields = [f for f in SHAREABLE_FIELDS if any(f in m.shared_data for m in rows)]
        header = [
            "membership_id",
            "partner",
            "sponsorship",
            "status",
            "member_number",
            "claimed_at",
            *fields,
        ]
        return csv_download(
            name="members",
            header=header,
            rows=(
                [
                    m.public_id,
                    m.sponsorship.partner.name,
                    m.sponsorship.name,
                    m.status,
                    m.member_number,
                    m.claimed_at.isoformat(),
                    *[m.shared_data.get(f, "") for f in fields],
                ]
                for m in rows
            ),
        )


@admin.register(SeatWaitlistEntry)
class SeatWaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("user", "sponsorship", "status", "created_at", "offered_at")
    list_filter = ("status", "sponsorship")
    list_select_related = ("user", "sponsorship")
    search_fields = ("user__email", "user__name")
    readonly_fields = [f.name for f in SeatWaitlistEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail: read-only for everyone."""

    list_display = ("created_at", "actor_label", "action", "object_type", "object_label", "reason")
    list_filter = ("action", "object_type")
    search_fields = ("object_label", "actor_label", "object_id", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

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
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import User

from ..csv_export import csv_download
from ..enums import LIVE_MEMBERSHIP_STATUSES, MembershipStatus
from ..exceptions import MembershipError
from ..models import AuditEntry, Membership, Partner, RosterEntry, SeatWaitlistEntry, Sponsorship
from ..models.sponsorships import SHAREABLE_FIELDS
from ..selectors.admin import ACTIVATION_OVERDUE_PARAM, overdue_activations
from ..selectors.claims import claim_is_overdue, seats_left, with_seats_used
from ..selectors.eligibility import eligibility_for
from ..services import claims
from ..services.partners import partner_delete, partner_save
from ..services.roster import roster_import
from ..services.sponsorships import sponsorship_delete
from .base import ServiceWritesAdmin, apply_to_each
from .forms import (
    EligibilityLookupForm,
    MemberNumberForm,
    PartnerAdminForm,
    ReasonForm,
    RosterConfirmForm,
    RosterUploadForm,
    SponsorshipAdminForm,
    SponsorshipRenewForm,
)

ROSTER_SALT = "memberships.roster-import"
ROSTER_MAX_AGE = 60 * 60


@admin.register(Partner)
class PartnerAdmin(ServiceWritesAdmin):
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

    def save_with_service(self, request, obj, fields):
        partner_save(partner=obj, actor=request.user, fields=fields)

    def delete_with_service(self, request, obj):
        partner_delete(partner=obj, actor=request.user)


@admin.register(Sponsorship)
class SponsorshipAdmin(ServiceWritesAdmin):
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
            {"fields": ("shared_fields", "consent_text", "consent_label", "consent_version")},
        ),
        (gettext_lazy("Renewal"), {"fields": ("renewed_from", "renewal_link")}),
        (gettext_lazy("Tools"), {"fields": ("tools",)}),
    )
    actions = ["renew"]

    def get_readonly_fields(self, request, obj=None):
        return ("tools", "consent_version", "renewed_from", "renewal_link")

    @admin.display(description=gettext_lazy("renewed as"))
    def renewal_link(self, obj) -> str:
        renewal = Sponsorship.objects.filter(renewed_from_id=obj.pk).first() if obj.pk else None
        if renewal is None:
            return _("Not renewed yet: use the action “Renew into a next term”.")
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:memberships_sponsorship_change", args=[renewal.pk]),
            renewal.name,
        )

    def save_model(self, request, obj, form, change):
        """Through the services: seats are checked under the lock and freed seats offered
        to the waitlist; the consent version is derived."""
        if not change:
            claims.sponsorship_create(sponsorship=obj, actor=request.user)
            return
        data = {
            field: form.cleaned_data[field]
            for field in form.changed_data
            if field in claims.SPONSORSHIP_EDITABLE_FIELDS
        }
        fresh = Sponsorship.objects.get(pk=obj.pk)
        updated = claims.sponsorship_update(sponsorship=fresh, actor=request.user, data=data)
        obj.consent_version = updated.consent_version

    @admin.action(description=gettext_lazy("Renew into a next term (asks for dates and consent)"))
    def renew(self, request, queryset):
        sponsorships = list(queryset.select_related("partner"))
        if len(sponsorships) != 1:
            self.message_user(request, _("Renew one sponsorship at a time."), messages.ERROR)
            return None
        sponsorship = sponsorships[0]
        form = SponsorshipRenewForm(
            request.POST if "apply" in request.POST else None,
            initial=SponsorshipRenewForm.initial_for(sponsorship),
        )
        if form.is_valid():
            try:
                renewal = claims.sponsorship_renew(
                    sponsorship=sponsorship, actor=request.user, **form.cleaned_data
                )
            except MembershipError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("%(name)s is open. Its members can renew and keep their member number.")
                    % {"name": renewal.name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:memberships_sponsorship_change", args=[renewal.pk])
                )
        context = {
            **self._context(request, sponsorship, _("Renew into a next term")),
            "form": form,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/memberships/sponsorship_renew.html", context)

    def get_queryset(self, request):
        return with_seats_used(super().get_queryset(request))

    def delete_with_service(self, request, obj):
        sponsorship_delete(sponsorship=obj, actor=request.user)

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
        """Upload → preview (a dry run, with a signed copy of the file) → confirm → import."""
        sponsorship = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, sponsorship):
            raise PermissionDenied
        context = self._context(request, sponsorship, _("Import the roster"))
        if request.method == "POST" and "payload" in request.POST:
            return self._roster_confirm(request, sponsorship, context)
        return self._roster_preview(request, sponsorship, context)

    def _roster_preview(self, request, sponsorship, context):
        form = RosterUploadForm(request.POST or None, request.FILES or None)
        context["form"] = form
        status = 200
        if form.is_bound:
            status = 400
            if form.is_valid():
                raw = form.cleaned_data["file"].read()
                result = roster_import(
                    sponsorship=sponsorship, file=raw, dry_run=True, actor=request.user
                )
                context["result"] = result
                if result.is_valid:
                    status = 200
                    payload = signing.dumps(
                        raw.decode("utf-8-sig"), salt=_roster_salt(sponsorship), compress=True
                    )
                    context["confirm_form"] = RosterConfirmForm(initial={"payload": payload})
        return TemplateResponse(
            request, "admin/memberships/sponsorship_roster_import.html", context, status=status
        )

    def _roster_confirm(self, request, sponsorship, context):
        text = _roster_payload(RosterConfirmForm(request.POST), sponsorship)
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


def _roster_salt(sponsorship) -> str:
    # Per sponsorship: a preview signed for one roster cannot be replayed into another.
    return f"{ROSTER_SALT}:{sponsorship.pk}"


def _roster_payload(form: RosterConfirmForm, sponsorship) -> str | None:
    """The CSV text the admin previewed, or None if the signed copy expired or was altered."""
    if not form.is_valid():
        return None
    try:
        return signing.loads(
            form.cleaned_data["payload"], salt=_roster_salt(sponsorship), max_age=ROSTER_MAX_AGE
        )
    except signing.BadSignature:
        return None


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
        reason = form.cleaned_data["reason"]
        apply_to_each(
            modeladmin,
            request,
            queryset.select_related("user", "sponsorship"),
            lambda membership: service(membership=membership, actor=request.user, reason=reason),
            done=done,
        )
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


class ActivationOverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("partner activation")
    parameter_name = ACTIVATION_OVERDUE_PARAM

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("overdue"))]

    def queryset(self, request, queryset):
        return overdue_activations(queryset) if self.value() == "yes" else queryset


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    # Five short columns: they fit at 1280 px beside the filters; the rest is one click away.
    list_display = ("person", "sponsorship_short", "status", "member_number", "claimed_on")
    list_filter = ("status", ActivationOverdueFilter, "sponsorship__partner", "sponsorship")
    list_select_related = ("user", "sponsorship", "sponsorship__partner")
    search_fields = ("user__email", "user__name", "user__employee_id", "member_number")
    date_hierarchy = "claimed_at"
    actions = ["approve", "decline", "revoke", "release_overdue", "export_csv"]
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
        "consent_fields",
        "consented_at",
        "shared_data",
        "shared_at",
        "claimed_at",
        "approved_at",
        "activated_at",
        "ended_at",
        "end_reason",
        "partner_reminded_at",
        "renewal_notice_at",
    )

    def has_add_permission(self, request) -> bool:
        return False  # claims are made by employees; the programme team acts on them

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # memberships end (revoke), they are never deleted

    @admin.display(description=gettext_lazy("person"), ordering="user__email")
    def person(self, obj) -> str:
        name = obj.user.name or obj.user.get_full_name()
        if not name:
            return obj.user.email
        return format_html('{}<br><span class="quiet">{}</span>', name, obj.user.email)

    @admin.display(description=gettext_lazy("sponsorship"), ordering="sponsorship__name")
    def sponsorship_short(self, obj) -> str:
        partner = obj.sponsorship.partner.name
        if not obj.sponsorship.tier:
            return partner
        return format_html('{}<br><span class="quiet">{}</span>', partner, obj.sponsorship.tier)

    @admin.display(description=gettext_lazy("claimed"), ordering="claimed_at")
    def claimed_on(self, obj) -> str:
        """The day of the claim, and for a claim the partner has sat on too long, how long."""
        claimed = timezone.localdate(obj.claimed_at).isoformat()
        if not claim_is_overdue(obj):
            return claimed
        overdue = _("overdue: sent %(days)s days ago") % {
            "days": (timezone.now() - obj.shared_at).days
        }
        return format_html('{}<br><span class="quiet">{}</span>', claimed, overdue)

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
        apply_to_each(
            self,
            request,
            queryset.select_related("user", "sponsorship"),
            lambda membership: claims.membership_approve(membership=membership, actor=request.user),
            done=_("%(n)s approved."),
        )

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

    @admin.action(description=gettext_lazy("Release the selected claims overdue at the partner"))
    def release_overdue(self, request, queryset):
        released, errors = 0, []
        for membership in queryset.select_related("user", "sponsorship"):
            try:
                claims.membership_release_idle(membership=membership, actor=request.user)
                released += 1
            except MembershipError as exc:
                errors.append(f"{membership}: {exc}")
        self.message_user(
            request,
            _("%(n)s released; their seats went to the waitlist.") % {"n": released},
            messages.SUCCESS,
        )
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(description=gettext_lazy("Export the selected members as CSV"))
    def export_csv(self, request, queryset):
        """Only what each member agreed to share (their consented snapshot)."""
        rows = list(queryset.select_related("sponsorship__partner").order_by("claimed_at", "pk"))
        fields = [f for f in SHAREABLE_FIELDS if any(f in m.partner_data for m in rows)]
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
                    *[m.partner_data.get(f, "") for f in fields],
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

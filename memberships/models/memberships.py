import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import LIVE_MEMBERSHIP_STATUSES, MembershipStatus, WaitlistStatus

# The partner's member number: the model, the admin form and the partner API share this limit.
MEMBER_NUMBER_MAX_LENGTH = 64


class Membership(models.Model):
    """One employee's claim on one sponsorship, from claim to its end."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    sponsorship = models.ForeignKey(
        "memberships.Sponsorship",
        verbose_name=_("sponsorship"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    status = models.CharField(_("status"), max_length=20, choices=MembershipStatus, db_index=True)
    member_number = models.CharField(
        _("member number"), max_length=MEMBER_NUMBER_MAX_LENGTH, blank=True
    )
    previous_member_number = models.CharField(
        _("previous member number"), max_length=MEMBER_NUMBER_MAX_LENGTH, blank=True
    )
    # The consent record: which text the employee agreed to, and when.
    consent_version = models.CharField(_("consent version"), max_length=40)
    consent_text = models.TextField(_("consent text agreed to"))
    consented_at = models.DateTimeField(_("consented"))
    consent_fields = models.JSONField(
        _("fields agreed to share"),
        default=list,
        blank=True,
        help_text=_("Nothing outside this list ever goes to the partner."),
    )
    # Exactly what the partner receives (the consented fields and their values at claim time).
    shared_data = models.JSONField(_("data shared with the partner"), default=dict, blank=True)
    shared_at = models.DateTimeField(_("sent to the partner"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now, db_index=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.TextField(_("reason for the end"), blank=True)
    # Idle claims: when the partner was last reminded to activate this one.
    partner_reminded_at = models.DateTimeField(_("partner reminded"), null=True, blank=True)
    renewal_notice_at = models.DateTimeField(_("renewal notice sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "sponsorship"],
                condition=models.Q(status__in=LIVE_MEMBERSHIP_STATUSES),
                name="one_live_membership_per_user_per_sponsorship",
            ),
        ]
        indexes = [
            # Seats used: the live memberships of a sponsorship, counted from the index alone.
            models.Index(
                fields=["sponsorship"],
                condition=models.Q(status__in=LIVE_MEMBERSHIP_STATUSES),
                name="membership_live_seat_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.sponsorship}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_MEMBERSHIP_STATUSES

    @property
    def renews_with_same_number(self) -> bool:
        """A renewal from the previous term that kept its member number."""
        return bool(self.member_number) and self.member_number == self.previous_member_number

    @property
    def partner_data(self) -> dict:
        """The member's data as any partner payload may carry it: only fields of the set
        this member consented to, whatever else the snapshot holds."""
        allowed = set(self.consent_fields or [])
        return {key: value for key, value in (self.shared_data or {}).items() if key in allowed}


class SeatWaitlistEntry(models.Model):
    """A place in line for the next free seat of a full sponsorship; consent is kept so
    that a freed seat can be claimed for the person straight away."""

    sponsorship = models.ForeignKey(
        "memberships.Sponsorship",
        verbose_name=_("sponsorship"),
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="seat_waitlist_entries",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=WaitlistStatus, default=WaitlistStatus.WAITING
    )
    consent_version = models.CharField(_("consent version"), max_length=40)
    consent_text = models.TextField(_("consent text agreed to"))
    consented_at = models.DateTimeField(_("consented"))
    consent_fields = models.JSONField(_("fields agreed to share"), default=list, blank=True)
    created_at = models.DateTimeField(_("joined"), default=timezone.now, db_index=True)
    offered_at = models.DateTimeField(_("seat offered"), null=True, blank=True)
    membership = models.OneToOneField(
        Membership,
        verbose_name=_("membership"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_entry",
    )

    class Meta:
        verbose_name = _("seat waitlist entry")
        verbose_name_plural = _("seat waitlist")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "sponsorship"],
                condition=models.Q(status=WaitlistStatus.WAITING),
                name="one_waiting_entry_per_user_per_sponsorship",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.sponsorship}"

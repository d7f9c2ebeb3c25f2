import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# The User fields an employee may agree to share with a partner, with their labels.
SHAREABLE_FIELDS = {
    "email": _("Work e-mail"),
    "name": _("Full name"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "employee_id": _("Employee id"),
    "department": _("Department"),
}

CONSENT_LABEL_MAX_LENGTH = 28


def consent_version_for(*, label: str, text: str, fields) -> str:
    """`<label>-<hash>`: the hash covers the consent text and the shared-field list, so a
    change to either is a new version whatever the label says."""
    normalised = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))
    digest = hashlib.sha256(
        json.dumps({"text": normalised, "fields": sorted(fields)}, sort_keys=True).encode()
    ).hexdigest()[:10]
    return f"{label.strip()[:CONSENT_LABEL_MAX_LENGTH]}-{digest}"


class Sponsorship(models.Model):
    """A programme: a company pays a partner for a number of memberships (or unlimited)."""

    partner = models.ForeignKey(
        "memberships.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="sponsorships",
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    company = models.CharField(_("sponsoring company"), max_length=200)
    tier = models.CharField(_("tier"), max_length=100, blank=True)
    description = models.TextField(
        _("what the membership includes"), blank=True, help_text=_("Plain text, one item a line.")
    )
    seats = models.PositiveIntegerField(
        _("seats"), null=True, blank=True, help_text=_("Leave empty for unlimited seats.")
    )
    starts_on = models.DateField(_("term starts on"))
    ends_on = models.DateField(_("term ends on"), help_text=_("The last day of the term."))
    eligible_groups = models.JSONField(
        _("eligible IdP groups"),
        default=list,
        blank=True,
        help_text=_('Members of any of these groups are eligible, e.g. ["trust-safety"].'),
    )
    uses_roster = models.BooleanField(
        _("roster decides eligibility"),
        default=False,
        help_text=_("People on the roster who are not marked ineligible are eligible."),
    )
    requires_approval = models.BooleanField(
        _("claims need approval"),
        default=False,
        help_text=_("Off: claims go straight to the partner. On: an admin approves each one."),
    )
    shared_fields = models.JSONField(
        _("fields shared with the partner"),
        default=list,
        blank=True,
        help_text=_("Any of: %(fields)s.") % {"fields": ", ".join(SHAREABLE_FIELDS)},
    )
    consent_text = models.TextField(_("consent text"))
    consent_label = models.CharField(
        _("consent label"),
        max_length=CONSENT_LABEL_MAX_LENGTH,
        default="1",
        help_text=_(
            "A human label such as 2026-1. The version adds a hash of the consent text and the "
            "shared fields, so changing either makes a new version."
        ),
    )
    consent_version = models.CharField(
        _("consent version"),
        max_length=40,
        help_text=_("Derived from the label, the consent text and the shared fields."),
    )
    contact_email = models.EmailField(
        _("contact e-mail"), help_text=_("Whom employees write to about eligibility.")
    )
    renewed_from = models.OneToOneField(
        "self",
        verbose_name=_("renews"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal",
        help_text=_("The previous term: its members can renew into this one."),
    )
    fee = models.DecimalField(
        _("fee for the term"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("What the company pays the partner for the whole term (for cost per member)."),
    )
    fee_currency = models.CharField(
        _("fee currency"), max_length=3, blank=True, help_text=_("ISO 4217 code, e.g. EUR.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sponsorship")
        verbose_name_plural = _("sponsorships")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="sponsorship_term_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = [f for f in self.shared_fields or [] if f not in SHAREABLE_FIELDS]
        if unknown:
            raise ValidationError(
                {"shared_fields": _("Unknown fields: %(f)s.") % {"f": ", ".join(unknown)}}
            )
        if not isinstance(self.eligible_groups, list) or not all(
            isinstance(g, str) for g in self.eligible_groups
        ):
            raise ValidationError({"eligible_groups": _("Give a list of group names.")})
        if not self.eligible_groups and not self.uses_roster:
            raise ValidationError(
                _("Choose who is eligible: IdP groups, the roster, or both."), code="no_rule"
            )

    @property
    def is_unlimited(self) -> bool:
        return self.seats is None

    @property
    def derived_consent_version(self) -> str:
        return consent_version_for(
            label=self.consent_label, text=self.consent_text, fields=self.shared_fields or []
        )

    def shared_field_labels(self) -> list[tuple[str, str]]:
        return [(f, str(SHAREABLE_FIELDS[f])) for f in self.shared_fields if f in SHAREABLE_FIELDS]


class RosterEntry(models.Model):
    """One row of the HR roster of a sponsorship (matched by e-mail or employee id)."""

    sponsorship = models.ForeignKey(
        Sponsorship,
        verbose_name=_("sponsorship"),
        on_delete=models.CASCADE,
        related_name="roster_entries",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    employee_id = models.CharField(_("employee id"), max_length=64, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    is_eligible = models.BooleanField(_("eligible"), default=True)
    imported_at = models.DateTimeField(_("imported"), auto_now=True)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["sponsorship", "email", "employee_id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email="") | ~models.Q(employee_id=""),
                name="roster_entry_has_identifier",
            ),
            models.UniqueConstraint(
                fields=["sponsorship", "email"],
                condition=~models.Q(email=""),
                name="roster_entry_unique_email",
            ),
            models.UniqueConstraint(
                fields=["sponsorship", "employee_id"],
                condition=~models.Q(employee_id=""),
                name="roster_entry_unique_employee_id",
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.employee_id

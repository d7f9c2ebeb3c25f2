"""Attendance, the learning record, certificates and feedback.

Privacy: attendance of well-being sessions belongs to the employee's own record. Admin lists
leave those rows out, and the learning record shows them only when the employee chooses."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..enums import AttendanceSource, AttendanceStatus

# Unambiguous characters for codes people read off paper (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS = 4
CODE_GROUP_LENGTH = 4


def new_certificate_code() -> str:
    """Four groups of four characters (`K7PQ-M2ZD-…`) from a 31-letter alphabet: about 79
    bits, unguessable."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_GROUP_LENGTH))
        for _g in range(CODE_GROUPS)
    )
    return "-".join(groups)


class Attendance(models.Model):
    """Whether a confirmed registrant came (attended) or not (no-show). One per registration."""

    registration = models.OneToOneField(
        "memberships.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    status = models.CharField(_("attendance"), max_length=10, choices=AttendanceStatus)
    source = models.CharField(_("recorded through"), max_length=12, choices=AttendanceSource)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("marked"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["-marked_at", "-pk"]
        indexes = [models.Index(fields=["status"], name="attendance_status_idx")]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.get_status_display()}"

    @property
    def is_attended(self) -> bool:
        return self.status == AttendanceStatus.ATTENDED


class Certificate(models.Model):
    """The certificate of attendance of one attended registration, with the code that a
    public page checks. Removed when the attendance is corrected to a no-show."""

    registration = models.OneToOneField(
        "memberships.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="certificate",
    )
    code = models.CharField(
        _("verification code"), max_length=32, unique=True, default=new_certificate_code
    )
    issued_at = models.DateTimeField(_("issued"))

    class Meta:
        verbose_name = _("certificate of attendance")
        verbose_name_plural = _("certificates of attendance")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return self.code


class LearningRecordSettings(models.Model):
    """The employee's choices about their own learning record."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="learning_record_settings",
    )
    shows_well_being = models.BooleanField(
        _("show well-being sessions in my learning record"),
        default=False,
        help_text=_(
            "Off: well-being sessions stay out of the record, its yearly summary and its "
            "certificates, and their certificate codes do not verify."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("learning record settings")
        verbose_name_plural = _("learning record settings")

    def __str__(self) -> str:
        return str(self.user)


FEEDBACK_RATING_MIN = 1
FEEDBACK_RATING_MAX = 5


class Feedback(models.Model):
    """One attendee's answer about one event: a 1–5 rating and an optional comment.
    One per registration (so one per person and event); editable for a while."""

    registration = models.OneToOneField(
        "memberships.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        validators=[
            MinValueValidator(FEEDBACK_RATING_MIN),
            MaxValueValidator(FEEDBACK_RATING_MAX),
        ],
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("first submitted"))
    updated_at = models.DateTimeField(_("last changed"))

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=FEEDBACK_RATING_MIN, rating__lte=FEEDBACK_RATING_MAX),
                name="feedback_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.rating}"

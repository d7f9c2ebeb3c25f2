"""The employee's own choices about their learning record."""

from __future__ import annotations

from ..models import LearningRecordSettings


def learning_record_settings_update(*, user, shows_well_being: bool) -> LearningRecordSettings:
    """Choose whether well-being sessions appear in the record, its summary and certificates
    (and so whether their certificate codes verify). Idempotent."""
    record_settings, _created = LearningRecordSettings.objects.update_or_create(
        user=user, defaults={"shows_well_being": shows_well_being}
    )
    return record_settings

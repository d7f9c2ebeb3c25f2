"""Resources, topics and urgent-help lines: the programme team's edits, each with its
audit entry."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Resource, Topic, UrgentHelpLine
from .audit import audited_delete, audited_save


def resource_save(*, resource: Resource, actor, fields: Iterable[str]) -> Resource:
    return audited_save(obj=resource, actor=actor, fields=fields, noun="resource")


def resource_delete(*, resource: Resource, actor) -> None:
    audited_delete(obj=resource, actor=actor, noun="resource")


def topic_save(*, topic: Topic, actor, fields: Iterable[str]) -> Topic:
    return audited_save(obj=topic, actor=actor, fields=fields, noun="topic")


def topic_delete(*, topic: Topic, actor) -> None:
    audited_delete(obj=topic, actor=actor, noun="topic")


def help_line_save(*, help_line: UrgentHelpLine, actor, fields: Iterable[str]) -> UrgentHelpLine:
    return audited_save(obj=help_line, actor=actor, fields=fields, noun="help_line")


def help_line_delete(*, help_line: UrgentHelpLine, actor) -> None:
    audited_delete(obj=help_line, actor=actor, noun="help_line")

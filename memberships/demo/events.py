"""Demo events and resources for `make run`. Idempotent: keyed on slugs and links, with dates
relative to today so the demo always has upcoming events."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from ..enums import EventFormat, EventKind, EventStatus, RegistrationStatus, ResourceKind
from ..models import Event, Partner, Registration, Resource, Topic

TOPICS = {
    "policy": "Policy design",
    "child-safety": "Child safety",
    "moderation-ops": "Moderation operations",
    "resilience": "Resilience and well-being",
    "career": "Career growth",
    "ai-safety": "AI and automation",
    "elections": "Elections integrity",
    "regulation": "Regulation and compliance",
}

GRAPHIC = ("Graphic content", "Real case examples include descriptions of violence and abuse.")


@dataclass(frozen=True)
class DemoEvent:
    """One demo event; its start is `days_from_today` at `local_hour` in `zone`."""

    slug: str
    title: str
    kind: str
    topics: list[str]
    days_from_today: int
    local_hour: int
    minutes: int
    zone: str
    format: str
    venue: str = ""
    capacity: int | None = 25
    is_members_only: bool = False
    content_note: tuple[str, str] | None = None
    status: str = EventStatus.PUBLISHED


@dataclass(frozen=True)
class DemoResource:
    title: str
    kind: str
    url: str
    summary: str
    is_members_only: bool = False


EVENTS = [
    DemoEvent(
        slug="policy-writing-clinic",
        title="Policy writing clinic",
        kind=EventKind.WORKSHOP,
        topics=["policy"],
        days_from_today=3,
        local_hour=15,
        minutes=90,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=25,
    ),
    DemoEvent(
        slug="escalations-under-pressure",
        title="Escalations under pressure: child safety casework",
        kind=EventKind.WORKSHOP,
        topics=["child-safety", "moderation-ops"],
        days_from_today=6,
        local_hour=10,
        minutes=120,
        zone="America/Los_Angeles",
        format=EventFormat.ONLINE,
        capacity=3,
        is_members_only=True,
        content_note=GRAPHIC,
    ),
    DemoEvent(
        slug="resilience-circle-karachi",
        title="Resilience circle for reviewers",
        kind=EventKind.WELL_BEING,
        topics=["resilience"],
        days_from_today=4,
        local_hour=17,
        minutes=60,
        zone="Asia/Karachi",
        format=EventFormat.HYBRID,
        venue="Serena Business Complex, Karachi",
        capacity=12,
    ),
    DemoEvent(
        slug="tspa-connect-dublin",
        title="TSPA Connect: Dublin meetup",
        kind=EventKind.MEETUP,
        topics=["career"],
        days_from_today=10,
        local_hour=18,
        minutes=150,
        zone="Europe/Dublin",
        format=EventFormat.IN_PERSON,
        venue="The Digital Hub, Thomas Street, Dublin 8",
        capacity=40,
        is_members_only=True,
    ),
    DemoEvent(
        slug="la-practitioners-meetup",
        title="Los Angeles practitioners meetup",
        kind=EventKind.MEETUP,
        topics=["moderation-ops"],
        days_from_today=12,
        local_hour=18,
        minutes=120,
        zone="America/Los_Angeles",
        format=EventFormat.IN_PERSON,
        venue="Cross Campus, Downtown Los Angeles",
        capacity=30,
    ),
    DemoEvent(
        slug="llm-moderation-webinar",
        title="Using language models in review queues",
        kind=EventKind.WEBINAR,
        topics=["ai-safety", "moderation-ops"],
        days_from_today=5,
        local_hour=9,
        minutes=60,
        zone="America/Los_Angeles",
        format=EventFormat.ONLINE,
        capacity=None,
    ),
    DemoEvent(
        slug="dsa-risk-assessments",
        title="DSA systemic risk assessments in practice",
        kind=EventKind.WEBINAR,
        topics=["regulation"],
        days_from_today=8,
        local_hour=14,
        minutes=75,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=100,
        is_members_only=True,
    ),
    DemoEvent(
        slug="elections-readiness",
        title="Elections readiness: lessons from 2024",
        kind=EventKind.WORKSHOP,
        topics=["elections", "policy"],
        days_from_today=15,
        local_hour=16,
        minutes=120,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=2,
    ),
    DemoEvent(
        slug="trustcon-preview",
        title="TrustCon preview sessions",
        kind=EventKind.CONFERENCE,
        topics=["policy", "career", "ai-safety"],
        days_from_today=40,
        local_hour=9,
        minutes=480,
        zone="America/Los_Angeles",
        format=EventFormat.HYBRID,
        venue="San Francisco Marriott Marquis",
        capacity=300,
        is_members_only=True,
    ),
    DemoEvent(
        slug="career-ladders",
        title="Career ladders in trust and safety",
        kind=EventKind.CAREER,
        topics=["career"],
        days_from_today=7,
        local_hour=12,
        minutes=60,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=50,
    ),
    DemoEvent(
        slug="mentoring-hour-karachi",
        title="Mentoring hour: from reviewer to lead",
        kind=EventKind.CAREER,
        topics=["career"],
        days_from_today=9,
        local_hour=19,
        minutes=60,
        zone="Asia/Karachi",
        format=EventFormat.ONLINE,
        capacity=3,
    ),
    DemoEvent(
        slug="vicarious-trauma-101",
        title="Understanding vicarious trauma",
        kind=EventKind.WELL_BEING,
        topics=["resilience"],
        days_from_today=11,
        local_hour=11,
        minutes=90,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=20,
        content_note=GRAPHIC,
    ),
    DemoEvent(
        slug="mindful-breaks",
        title="Mindful breaks for long shifts",
        kind=EventKind.WELL_BEING,
        topics=["resilience"],
        days_from_today=2,
        local_hour=8,
        minutes=45,
        zone="America/Los_Angeles",
        format=EventFormat.ONLINE,
        capacity=None,
    ),
    DemoEvent(
        slug="investigations-osint",
        title="Open-source investigations for T&S",
        kind=EventKind.WORKSHOP,
        topics=["moderation-ops"],
        days_from_today=20,
        local_hour=13,
        minutes=180,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=20,
        is_members_only=True,
        content_note=GRAPHIC,
    ),
    DemoEvent(
        slug="regulators-roundtable",
        title="Regulators roundtable",
        kind=EventKind.CONFERENCE,
        topics=["regulation", "policy"],
        days_from_today=30,
        local_hour=9,
        minutes=360,
        zone="Europe/Dublin",
        format=EventFormat.IN_PERSON,
        venue="Convention Centre Dublin",
        capacity=150,
        is_members_only=True,
    ),
    DemoEvent(
        slug="south-asia-policy-forum",
        title="South Asia policy forum",
        kind=EventKind.CONFERENCE,
        topics=["policy", "elections"],
        days_from_today=25,
        local_hour=10,
        minutes=420,
        zone="Asia/Karachi",
        format=EventFormat.HYBRID,
        venue="Pearl Continental, Karachi",
        capacity=120,
    ),
    DemoEvent(
        slug="draft-metrics-workshop",
        title="Quality metrics for moderation (draft)",
        kind=EventKind.WORKSHOP,
        topics=["moderation-ops"],
        days_from_today=35,
        local_hour=15,
        minutes=90,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=25,
        status=EventStatus.DRAFT,
    ),
    DemoEvent(
        slug="cancelled-hackathon",
        title="Safety tooling hackathon",
        kind=EventKind.MEETUP,
        topics=["ai-safety"],
        days_from_today=14,
        local_hour=10,
        minutes=360,
        zone="America/Los_Angeles",
        format=EventFormat.IN_PERSON,
        venue="Los Angeles",
        capacity=40,
        status=EventStatus.CANCELLED,
    ),
    DemoEvent(
        slug="past-appeals-workshop",
        title="Designing fair appeals",
        kind=EventKind.WORKSHOP,
        topics=["policy"],
        days_from_today=-7,
        local_hour=15,
        minutes=90,
        zone="Europe/Dublin",
        format=EventFormat.ONLINE,
        capacity=30,
    ),
    DemoEvent(
        slug="past-wellbeing-retreat",
        title="Winter well-being retreat",
        kind=EventKind.WELL_BEING,
        topics=["resilience"],
        days_from_today=-21,
        local_hour=10,
        minutes=240,
        zone="Asia/Karachi",
        format=EventFormat.IN_PERSON,
        venue="Karachi",
        capacity=25,
    ),
]

RESOURCES = [
    DemoResource(
        title="Resilience toolkit for content reviewers",
        kind=ResourceKind.WELL_BEING,
        url="https://www.tspa.org/resources/resilience-toolkit",
        summary="Short daily practices that help after hard queues.",
    ),
    DemoResource(
        title="Finding a trauma-informed counsellor",
        kind=ResourceKind.WELL_BEING,
        url="https://www.tspa.org/resources/counselling",
        summary="How to find and pay for specialist support.",
    ),
    DemoResource(
        title="Peer support circles",
        kind=ResourceKind.WELL_BEING,
        url="https://www.tspa.org/resources/peer-support",
        summary="Monthly moderated circles for members.",
        is_members_only=True,
    ),
    DemoResource(
        title="Wellness hours calendar",
        kind=ResourceKind.WELL_BEING,
        url="https://www.tspa.org/resources/wellness-hours",
        summary="Drop-in sessions across time zones.",
        is_members_only=True,
    ),
    DemoResource(
        title="Trust and safety career paths",
        kind=ResourceKind.CAREER,
        url="https://www.tspa.org/resources/career-paths",
        summary="Roles, skills and how people moved between them.",
    ),
    DemoResource(
        title="Salary and levels survey",
        kind=ResourceKind.CAREER,
        url="https://www.tspa.org/resources/salary-survey",
        summary="The yearly survey of pay and levels.",
        is_members_only=True,
    ),
    DemoResource(
        title="Mentorship programme",
        kind=ResourceKind.CAREER,
        url="https://www.tspa.org/resources/mentorship",
        summary="Be matched with a mentor for six months.",
        is_members_only=True,
    ),
    DemoResource(
        title="Interviewing for policy roles",
        kind=ResourceKind.CAREER,
        url="https://www.tspa.org/resources/interviewing",
        summary="Case questions and how to prepare.",
    ),
    DemoResource(
        title="T&S curriculum: content policy",
        kind=ResourceKind.GUIDE,
        url="https://www.tspa.org/curriculum/content-policy",
        summary="The open curriculum chapter on writing policy.",
    ),
    DemoResource(
        title="T&S curriculum: transparency reports",
        kind=ResourceKind.GUIDE,
        url="https://www.tspa.org/curriculum/transparency",
        summary="What to publish and how.",
    ),
    DemoResource(
        title="Incident response playbook",
        kind=ResourceKind.GUIDE,
        url="https://www.tspa.org/resources/incident-playbook",
        summary="A template for crisis response.",
        is_members_only=True,
    ),
    DemoResource(
        title="Glossary of trust and safety terms",
        kind=ResourceKind.GUIDE,
        url="https://www.tspa.org/resources/glossary",
        summary="Common terms, plainly explained.",
    ),
]

BODY = (
    "{summary}\n\n### What you will take away\n\n- Practical techniques you can use next week\n"
    "- Peers facing the same problems\n\nQuestions in advance are welcome: reply to your "
    "confirmation e-mail (it reaches the host).\n"
)


def _attendees(count: int) -> list:
    User = get_user_model()  # noqa: N806 -- a model class
    return [
        User.objects.get_or_create(
            email=f"demo.attendee{n}@example.com",
            defaults={"username": f"demo-attendee-{n}", "name": f"Demo attendee {n}"},
        )[0]
        for n in range(count)
    ]


def _seed_topics() -> dict[str, Topic]:
    return {
        slug: Topic.objects.update_or_create(slug=slug, defaults={"name": name})[0]
        for slug, name in TOPICS.items()
    }


def _seed_event(demo: DemoEvent, *, partner: Partner, topics: dict[str, Topic]) -> Event:
    today = timezone.localdate()
    starts_at = datetime.combine(
        today + timedelta(days=demo.days_from_today), time(demo.local_hour), ZoneInfo(demo.zone)
    )
    summary = f"{demo.title}: a session hosted by {partner.name}."
    is_online = demo.format != EventFormat.IN_PERSON
    label, note = demo.content_note or ("", "")
    event, _created = Event.objects.update_or_create(
        slug=demo.slug,
        defaults={
            "partner": partner,
            "title": demo.title,
            "kind": demo.kind,
            "summary": summary,
            "body": BODY.format(summary=summary),
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=demo.minutes),
            "time_zone": demo.zone,
            "format": demo.format,
            "venue": demo.venue,
            "join_url": f"https://meet.example.org/{demo.slug}" if is_online else "",
            "capacity": demo.capacity,
            "is_members_only": demo.is_members_only,
            "content_note_label": label,
            "content_note": note,
            "status": demo.status,
        },
    )
    event.topics.set([topics[t] for t in demo.topics])
    return event


def _fill(event: Event, attendees: list) -> bool:
    """Give every seat of a small published event to demo attendees (a full event)."""
    if event.capacity is None or event.capacity > len(attendees):
        return False
    if event.status != EventStatus.PUBLISHED:
        return False
    for user in attendees[: event.capacity]:
        Registration.objects.get_or_create(
            event=event, user=user, status=RegistrationStatus.CONFIRMED
        )
    return True


def seed_events(*, partner: Partner) -> list[str]:
    topics = _seed_topics()
    attendees = _attendees(3)
    full = sum(
        _fill(_seed_event(demo, partner=partner, topics=topics), attendees) for demo in EVENTS
    )
    return [f"events: {len(EVENTS)} ({full} full), topics: {len(TOPICS)}"]


def seed_resources(*, partner: Partner) -> list[str]:
    for demo in RESOURCES:
        Resource.objects.update_or_create(
            partner=partner,
            url=demo.url,
            defaults={
                "title": demo.title,
                "kind": demo.kind,
                "summary": demo.summary,
                "is_members_only": demo.is_members_only,
            },
        )
    return [f"resources: {len(RESOURCES)}"]

"""gunicorn configuration for the web processes: `gunicorn -c portal/gunicorn.conf.py
portal.wsgi`. Command-line flags (e.g. --bind) override these values.

Access log (stdout), one line per request, every field passed through the redaction of
portal/logs.py (calendar feed tokens, OAuth `code`/`state`, passwords, secrets):

    <client> "<request line>" <status> <bytes> <duration>ms req=<X-Request-ID> "<user agent>"

e.g. `127.0.0.1 "GET /calendar/[redacted].ics HTTP/1.1" 200 512 12ms req=3f2a... "curl/8"`.
With LOG_FORMAT=json, access and error lines are JSON objects instead.

Metrics: each gunicorn instance's workers share PROMETHEUS_MULTIPROC_DIR (a fresh private
directory unless set), so /metrics on any worker reports the whole instance."""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms req=%({x-request-id}o)s "%(a)s"'
logger_class = "portal.gunicorn_logging.RedactingLogger"
# The proxy in front sets X-Forwarded-Proto; trust it only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")


def on_starting(server) -> None:
    # Samples of a previous run would be added to this one's: start from an empty directory.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess  # noqa: PLC0415 -- only in the master

    multiprocess.mark_process_dead(worker.pid)

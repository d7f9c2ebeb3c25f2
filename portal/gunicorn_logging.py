"""gunicorn's logger with the portal's redaction: the access log never holds a calendar
feed token, an OAuth code or state, or any other credential from a URL, referrer or
header; with LOG_FORMAT=json the access and error logs are JSON lines like the app's."""

from __future__ import annotations

import json
import os

from gunicorn.glogging import Logger

from .logs import JsonFormatter, RedactingFilter, redact


class RedactingLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        is_json = os.environ.get("LOG_FORMAT", "text") == "json"
        for handler in self.error_log.handlers:
            handler.addFilter(RedactingFilter())
            if is_json:
                handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in atoms.items()
        }

    def access(self, resp, req, environ, request_time) -> None:
        if os.environ.get("LOG_FORMAT", "text") != "json":
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "time": atoms["t"],
            "logger": "gunicorn.access",
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "request_id": atoms.get("{x-request-id}o", ""),
            "user_agent": atoms["a"],
            "referer": atoms["f"],
        }
        self.access_log.info(json.dumps(entry))

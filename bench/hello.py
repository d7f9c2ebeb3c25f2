"""L0 of the ladder: a raw WSGI hello world, the ceiling of gunicorn and the load generator."""


def application(environ, start_response):
    body = b"Hello, world\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

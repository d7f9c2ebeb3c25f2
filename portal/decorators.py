"""View decorators shared by the portal's pages."""

from functools import wraps

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def post_only(back: str, *, keep: tuple[str, ...] = ()):
    """A state change that only a form's POST may make. Reopening its address (history, a
    restored tab, a bookmarked form result) is a GET: send the person to the page the
    button lives on (`back`, a URL name, given the view kwargs named in `keep`) with a word
    of explanation, instead of a bare 405. Other methods still get a 405."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                return view(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                if request.method == "GET":
                    messages.info(
                        request,
                        _(
                            "That address only works from its button, so nothing was changed. "
                            "Here is the page it belongs to."
                        ),
                    )
                return redirect(back, **{name: kwargs[name] for name in keep})
            return HttpResponseNotAllowed(["POST"])

        return wrapper

    return decorator

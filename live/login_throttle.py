"""Failed logins are budgeted per user name and per client address.

Both the staff login (``/accounts/login/``) and the admin's use these forms. After
``LIVE_LOGIN_FAILURES_PER_USER`` failures for one user name, or
``LIVE_LOGIN_FAILURES_PER_ADDRESS`` from one address, within
``LIVE_LOGIN_WINDOW_SECONDS``, logins for that name (or from that address) are
refused until the window ends, with a message saying when, and a 429. Others log
in as usual. The counts live in Django's cache (live/services/rate_limits.py).
"""

from datetime import datetime, timedelta, timezone

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from live.http import client_address
from live.services import rate_limits

LOCKED_OUT = "locked_out"


def _idents(form):
    username = str(form.data.get("username", ""))[:150].strip().lower()
    address = client_address(form.request) if form.request else ""
    return [("login-user", username), ("login-address", address)]


def _locked_out(exc):
    resets = datetime.now(timezone.utc) + timedelta(seconds=exc.retry_after)
    return ValidationError(
        "Too many failed logins. Try again in %(seconds)d seconds (at %(time)s UTC).",
        code=LOCKED_OUT,
        params={"seconds": exc.retry_after, "time": resets.strftime("%H:%M:%S")},
    )


class ThrottledLoginMixin:
    def clean(self):
        idents = _idents(self)
        try:
            for scope, ident in idents:
                rate_limits.check(scope, ident)
        except rate_limits.RateLimited as exc:
            self.retry_after = exc.retry_after
            raise _locked_out(exc)
        try:
            return super().clean()
        except ValidationError as error:
            if any(e.code == "invalid_login" for e in error.error_list):
                try:
                    for scope, ident in idents:
                        rate_limits.hit(scope, ident)
                except rate_limits.RateLimited as exc:
                    self.retry_after = exc.retry_after
                    raise _locked_out(exc)
            raise


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


def with_lockout_status(view):
    """429 with Retry-After when the login form was refused for too many failures."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        form = (getattr(response, "context_data", None) or {}).get("form")
        retry_after = getattr(form, "retry_after", None)
        if retry_after:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response

    return wrapped

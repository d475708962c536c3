"""The web service's settings, made once by whoever starts it (``safepupil serve``, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from safepupil.governance.sessions import SignInLimits

SESSION_COOKIE = "safepupil_session"
SIGN_IN_COOKIE = "safepupil_sign_in"  # the double-submit token of the sign-in form


@dataclass(frozen=True)
class WebSettings:
    # Secure cookies travel only over HTTPS, or to 127.0.0.1/localhost, where browsers
    # treat plain HTTP as secure; turn off only for a test client on another plain name.
    secure_cookies: bool = True
    sign_in_limits: SignInLimits = field(default_factory=SignInLimits)
    docs: bool = True  # OpenAPI at /docs

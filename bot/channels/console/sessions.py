"""Console sessions: a signed cookie that names the account and expires, and the CSRF token that goes with it.

The cookie holds the login, when the session began, when it was last used and a
fingerprint of the account's password hash, signed with HMAC-SHA256 under
CONSOLE_SECRET (a random key per process when it is not set). It is refused when
the signature is wrong, after ``idle`` seconds without a request, after
``MAX_AGE`` whatever happens, once the password changes, and after signing out
(remembered until it would have expired). Every form carries a CSRF token
derived from the account (its login and password fingerprint, signed), so
another site cannot post in a clerk's name; a page left open while its
session ended keeps working once the clerk signs in again (in another tab),
and a new password makes every old page's token useless.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Callable

COOKIE = "exportbot_console"
PRE_COOKIE = "exportbot_console_pre"        # the sign-in form's CSRF token, before there is a session
MAX_AGE = 12 * 3600                         # a session never lasts longer than a working day
RENEW_AFTER = 60                            # the cookie is re-issued (its idle clock reset) at most once a minute


@dataclass(frozen=True)
class Session:
    login: str
    issued: float
    seen: float
    fingerprint: str
    raw: str

    @property
    def key(self) -> str:
        return f"{self.login}|{self.issued}"


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class Sessions:
    def __init__(self, secret: str, idle: float, clock: Callable[[], float] = time.time):
        self.key = (secret or secrets.token_hex(32)).encode()
        self.idle = idle
        self.clock = clock
        self._ended: dict[str, float] = {}      # signed-out sessions -> when they would expire anyway

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.key, payload, hashlib.sha256).hexdigest()

    def issue(self, login: str, password_hash: str, issued: float | None = None) -> str:
        now = self.clock()
        body = json.dumps({"l": login, "i": issued if issued is not None else now, "s": now,
                           "f": fingerprint(password_hash)}, separators=(",", ":")).encode()
        encoded = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{encoded}.{self._sign(encoded.encode())}"

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie stands for, or None when it is forged, expired or ended."""
        if not cookie or "." not in cookie:
            return None
        encoded, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(encoded.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
            session = Session(str(data["l"]), float(data["i"]), float(data["s"]), str(data["f"]), cookie)
        except (ValueError, KeyError, TypeError):
            return None
        now = self.clock()
        if now - session.seen > self.idle or now - session.issued > MAX_AGE or session.key in self._ended:
            return None
        return session

    def needs_renewal(self, session: Session) -> bool:
        return self.clock() - session.seen >= RENEW_AFTER

    def end(self, session: Session) -> None:
        now = self.clock()
        self._ended = {k: t for k, t in self._ended.items() if t > now}
        self._ended[session.key] = session.issued + MAX_AGE

    def csrf(self, session: Session) -> str:
        return self._sign(f"csrf|{session.login}|{session.fingerprint}".encode())[:40]

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf(session))


def new_token() -> str:
    return secrets.token_urlsafe(24)

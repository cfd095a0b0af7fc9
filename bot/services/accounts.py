"""Sign-in accounts of the staff console: argon2 password hashes in the store, roles from knowledge/staff.yaml.

An account is a login name, a password hash and the Telegram id of the staff
member it belongs to. What the person may see and do is not stored with the
account: it is the member's scope in knowledge/staff.yaml (or
ADMIN_TELEGRAM_IDS) at the moment of each request, so taking someone out of
staff.yaml ends their console access at once, like their Telegram commands.
Failed sign-ins are counted per login name and per address, and a burst of
them shuts that door for a while.
"""
from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..core.entities import KnowledgeBase
from .staff import Scope, scope_of

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()          # argon2id with the library's current defaults (RFC 9106 low-memory profile)
_DUMMY = _hasher.hash("not a password of anyone")    # checked against for unknown logins: same time either way


class AccountError(Exception):
    pass


def check_login(login: str) -> str:
    login = login.strip().lower()
    if not LOGIN_RE.match(login):
        raise AccountError("a login name is 2 to 32 small letters, digits, dots, hyphens or underscores "
                           "(e.g. dic-hathras)")
    return login


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


async def set_password(store: Any, kb: KnowledgeBase, admin_ids: frozenset[int], login: str, telegram_id: int,
                       password: str) -> Scope:
    """Create the account or change its password; the Telegram id must be staff (staff.yaml or an admin id)."""
    login = check_login(login)
    scope = scope_of(kb, admin_ids, telegram_id)
    if scope is None:
        raise AccountError(f"Telegram id {telegram_id} is not in knowledge/staff.yaml or ADMIN_TELEGRAM_IDS: "
                           "add the person there first (their role and districts are read from it)")
    await store.console_account_set(login, telegram_id, hash_password(password))
    return scope


@dataclass(frozen=True)
class Account:
    login: str
    scope: Scope
    password_hash: str


async def account_scope(store: Any, kb: KnowledgeBase, admin_ids: frozenset[int], login: str) -> Account | None:
    """The account and what it may do now, or None when it is gone or its staff member is no longer staff."""
    row = await store.console_account(login)
    if row is None:
        return None
    scope = scope_of(kb, admin_ids, int(row["telegram_id"]))
    return Account(login, scope, row["password_hash"]) if scope is not None else None


async def verify(store: Any, kb: KnowledgeBase, admin_ids: frozenset[int], login: str,
                 password: str) -> Account | None:
    """The account when the password is right (an outdated hash is upgraded); None otherwise, in the same time."""
    login = login.strip().lower()
    row = await store.console_account(login) if LOGIN_RE.match(login) else None
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        await store.console_account_set(login, int(row["telegram_id"]), _hasher.hash(password))
        row = await store.console_account(login)
        assert row is not None
    return await account_scope(store, kb, admin_ids, login)


class Throttle:
    """At most ``limit`` failed sign-ins per key (a login name, an address) within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 900.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def wait(self, *keys: str) -> float:
        """Seconds until another try is allowed for these keys (0: go ahead)."""
        longest = 0.0
        for key in keys:
            times = self._recent(key)
            if len(times) >= self.limit:
                longest = max(longest, self.window - (self.clock() - times[0]))
        return longest

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(self.clock())
        if len(self._failures) > 10000:            # forget quiet keys so a flood of names cannot grow this forever
            for key in [k for k, v in self._failures.items() if not v]:
                del self._failures[key]

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

"""Accounts on this PC: who may log in, with which role, and the lock-out after failed attempts.

Passwords are never stored: each user has a random salt and an scrypt hash, kept as one text
``scrypt$n=…,r=…,p=…$<salt>$<hash>`` so that the parameters can be raised later (a user whose
hash uses weaker parameters is re-hashed at the next successful log-in). Failed log-ins are
counted; after ``lockout_attempts`` (5) in a row the account is locked for ``lockout_minutes`` (15);
both are settings. Unknown user and wrong password give the same message.

Every change is audited (table ``users``); the audit entries never contain password material.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.domain.vocab import Permission, Role
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import transaction

#: scrypt cost for new hashes: N=2**15 (32 MiB, ~0.1 s), r=8, p=1.
SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES, SALT_BYTES = 2**15, 8, 1, 32, 16
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 32
DEFAULT_LOCKOUT_ATTEMPTS = 5
DEFAULT_LOCKOUT_MINUTES = 15
USERNAME_RE = re.compile(r"^[\w.\-]+$")
#: the audit action of a failed log-in under a name that has no account (no account is created)
UNKNOWN_USER_ACTION = "login_failed_unknown_user"
#: an unknown name is cut to this many characters in the audit trail
MAX_AUDITED_NAME = 64

ROLE_ALIASES = {"admin": Role.ADMIN, "clerk": Role.CLERK, "viewer": Role.VIEWER, "reviewer": Role.REVIEWER}


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role
    disabled: bool = False
    must_change_password: bool = False
    locked_until: str | None = None

    def context(self, conn, clock=None) -> Context:
        """A :class:`Context` acting as this user."""
        return (
            Context(conn=conn, user=self.username, role=self.role)
            if clock is None
            else Context(conn=conn, user=self.username, role=self.role, clock=clock)
        )


def _user(row) -> User:
    return User(
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        must_change_password=bool(row["must_change_password"]),
        locked_until=row["locked_until"],
    )


# --- password hashing -------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r + 16 * 1024 * 1024
    )


def hash_password(password: str) -> str:
    """``scrypt$n=32768,r=8,p=1$<salt base64>$<hash base64>`` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[dict, bytes, bytes]:
    algorithm, params, salt, digest = stored.split("$")
    if algorithm != "scrypt":
        raise ValueError(f"unknown password hash algorithm: {algorithm}")
    values = {k: int(v) for k, v in (item.split("=") for item in params.split(","))}
    return values, base64.b64decode(salt), base64.b64decode(digest)


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison of the password's hash with the stored one."""
    try:
        params, salt, expected = _parse(stored)
        actual = _scrypt(password, salt, params["n"], params["r"], params["p"], len(expected))
    except (ValueError, KeyError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    try:
        params, _salt, digest = _parse(stored)
    except (ValueError, KeyError):
        return True
    return params["n"] < SCRYPT_N or params["r"] < SCRYPT_R or params["p"] < SCRYPT_P or len(digest) < HASH_BYTES


#: A hash to check against when the user does not exist, so that the answer takes as long.
_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


# --- validation ------------------------------------------------------------------------------


def password_problems(password: str, field: str = "password") -> list[Problem]:
    if not password:
        return [Problem(field, _("The password cannot be empty."))]
    if len(password) < MIN_PASSWORD_LENGTH:
        return [Problem(field, _("The password must have at least {n} characters.").format(n=MIN_PASSWORD_LENGTH))]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [Problem(field, _("The password can have at most {n} characters.").format(n=MAX_PASSWORD_LENGTH))]
    return []


def username_problems(username: str) -> list[Problem]:
    if not username:
        return [Problem("username", _("{field} is required.").format(field=_("User name")))]
    if len(username) > MAX_NAME_LENGTH or not USERNAME_RE.match(username):
        return [
            Problem(
                "username",
                _("A user name has at most {n} letters, digits, '.', '-' or '_' (no spaces).").format(
                    n=MAX_NAME_LENGTH
                ),
            )
        ]
    return []


def parse_role(value: str) -> Role:
    """A role from its Chinese name (管理员) or English alias (admin)."""
    value = (value or "").strip()
    if value.lower() in ROLE_ALIASES:
        return ROLE_ALIASES[value.lower()]
    try:
        return Role(value)
    except ValueError:
        raise Refused(
            Problem(
                "role",
                _("Unknown role: {role}. Choose one of: {choices}.").format(
                    role=value, choices="、".join(r.value for r in Role)
                ),
            )
        ) from None


# --- queries ---------------------------------------------------------------------------------


def has_users(conn) -> bool:
    """True once any account exists (from then on every action needs a log-in) — and also when the
    accounts were removed outside the program (:func:`accounts_expected`): an emptied ``users``
    table never turns the file back into one where anybody acts as administrator."""
    return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None or accounts_expected(conn)


def accounts_expected(conn) -> bool:
    """True when the audit trail shows an account was created (index ``audit_users``)."""
    return (
        conn.execute("SELECT 1 FROM audit_log WHERE table_name = 'users' AND action = 'create_user' LIMIT 1").fetchone()
        is not None
    )


def get_user(conn, username: str) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    return _user(row) if row else None


def _stored_user(conn, username: str) -> User:
    """An account the caller has just written or read in this transaction, so it is there."""
    user = get_user(conn, username)
    if user is None:
        raise LookupError(f"no account {username!r} where one was just found or written")
    return user


def list_users(conn) -> list[User]:
    return [_user(r) for r in conn.execute("SELECT * FROM users ORDER BY username")]


def _require_user(conn, username: str):
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise Refused(Problem("username", _("No such user: {name}").format(name=username)))
    return row


def _active_admins(conn) -> int:
    return conn.execute("SELECT count(*) FROM users WHERE role = ? AND disabled = 0", (Role.ADMIN.value,)).fetchone()[0]


def _audit(ctx: Context, action: str, username: str, changes: dict | None = None) -> None:
    _audit_entry(ctx.conn, ctx.now_text(), ctx.user, action, username, changes)


def _audit_entry(conn, at: str, actor: str, action: str, username: str, changes: dict | None = None) -> None:
    """Never pass password material here: only roles, flags, counters and times. The entry also
    records the digest of the account's row after the write (for ``check``; see services.audit)."""
    seq = audit.append(
        conn, at=at, user=actor, action=action, table_name="users", record_id=username, changes=changes or {}
    )
    audit.seal_rows(conn, seq, "users", [username])


# --- actions ---------------------------------------------------------------------------------


def create_user(ctx: Context, username: str, password: str, role: Role | str, display_name: str = "") -> User:
    """An admin adds an account. The very first account needs no admin, but must itself be an admin."""
    username, display_name = (username or "").strip(), (display_name or "").strip()
    role = parse_role(role) if not isinstance(role, Role) else role
    with transaction(ctx.conn):
        first = not has_users(ctx.conn)
        if not first:
            ctx.require(Permission.ADMINISTER)
        problems = username_problems(username) + password_problems(password)
        if len(display_name) > MAX_NAME_LENGTH:
            problems.append(
                Problem(
                    "display_name", _("The display name can have at most {n} characters.").format(n=MAX_NAME_LENGTH)
                )
            )
        if first and role != Role.ADMIN:
            problems.append(Problem("role", _("The first account must be an administrator.")))
        if role == Role.REVIEWER and (site.site(ctx.conn) or {}).get("role") != site.TOWNSHIP:
            problems.append(Problem("role", _("Township reviewers exist only on the township's PC.")))
        if username and get_user(ctx.conn, username):
            problems.append(Problem("username", _("The user name {name} is already taken.").format(name=username)))
        if problems:
            raise Refused(problems)
        now = ctx.now_text()
        ctx.conn.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (username, display_name, role.value, hash_password(password), now, now),
        )
        _audit(ctx, "create_user", username, {"role": [None, role.value], "display_name": [None, display_name]})
    return _stored_user(ctx.conn, username)


def lockout_policy(conn) -> tuple[int, int]:
    """(attempts, minutes): the settings ``lockout_attempts`` and ``lockout_minutes``."""
    return (
        int(site.get_setting(conn, "lockout_attempts", DEFAULT_LOCKOUT_ATTEMPTS)),
        int(site.get_setting(conn, "lockout_minutes", DEFAULT_LOCKOUT_MINUTES)),
    )


def _wrong() -> Refused:
    return Refused(Problem("password", _("Wrong user name or password.")))


def _stamp(when: dt.datetime) -> str:
    return when.replace(microsecond=0).isoformat(sep=" ")


def _locked(until: str) -> Refused:
    return Refused(
        Problem(
            "password",
            _(
                "Too many failed attempts: this account is locked until {time}. "
                "Try again later or ask an administrator to reset the password."
            ).format(time=until[11:16]),
        )
    )


def _lock(conn, row, now: dt.datetime, minutes: int, actor: str) -> str:
    """Lock the account (inside the caller's transaction): the lock only ever moves later."""
    locked = max(_stamp(now + dt.timedelta(minutes=minutes)), row["locked_until"] or "")
    conn.execute("UPDATE users SET failed_attempts = 0, locked_until = ? WHERE username = ?", (locked, row["username"]))
    _audit_entry(
        conn, _stamp(now), actor, "lock_account", row["username"], {"locked_until": [row["locked_until"], locked]}
    )
    return locked


def _reserve_attempt(conn, username: str, now: dt.datetime, attempts: int, minutes: int):
    """Step 1 of a log-in, one short ``BEGIN IMMEDIATE``: refuse a locked account; otherwise count
    this attempt as a failure *before* the password is checked. ``(row, n)`` with ``n`` the count
    including this attempt; ``(None, 0)`` for an unknown name. Raises the lock's :class:`Refused`
    after the transaction is committed."""
    locked = None
    with transaction(conn):
        row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone() if username else None
        if row is None:
            return None, 0
        if row["locked_until"] and row["locked_until"] > _stamp(now):
            locked = row["locked_until"]
        elif row["failed_attempts"] >= attempts:
            # the limit is used up by attempts still being checked (or cut short): lock now
            locked = _lock(conn, row, now, minutes, username)
        else:
            n = row["failed_attempts"] + 1
            conn.execute("UPDATE users SET failed_attempts = ? WHERE username = ?", (n, username))
    if locked:
        raise _locked(locked)
    return row, n


def authenticate(conn, username: str, password: str, now: dt.datetime | None = None) -> User:
    """The account if the password is right; otherwise :class:`Refused` (the same message whether
    the user is unknown or the password wrong). Counts failures and locks the account.

    Lock-out under parallel log-ins (several windows or commands at once): each attempt is first
    counted as a failure in one short ``BEGIN IMMEDIATE`` that also refuses a locked account or one
    whose tries are all in use (:func:`_reserve_attempt`); the password is then checked outside any
    transaction (scrypt takes ~0.1 s: no write lock is held meanwhile); a second short transaction
    records the outcome. So N attempts at once verify at most ``lockout_attempts`` passwords, an
    attempt cut short (a killed process) still counts, a failure never unlocks (``locked_until``
    only moves later), and a right password checked while others locked the account is refused.
    Unknown names do the same work (one scrypt, one audited write) and are audited as
    :data:`UNKNOWN_USER_ACTION` without creating an account."""
    now = now or dt.datetime.now()
    username = (username or "").strip()
    password = password or ""
    attempts, minutes = lockout_policy(conn)
    row, n = _reserve_attempt(conn, username, now, attempts, minutes)
    if row is None:
        verify_password(password, _dummy_hash())  # same work as for a real account
        if username:
            name = username[:MAX_AUDITED_NAME]
            with transaction(conn):
                audit.append(conn, at=_stamp(now), user=name, action=UNKNOWN_USER_ACTION, table_name="", record_id=name)
        raise _wrong()
    ok = len(password) <= MAX_PASSWORD_LENGTH and verify_password(password, row["password_hash"])
    if not ok:
        with transaction(conn):
            _audit_entry(conn, _stamp(now), username, "login_failed", username, {"failed_attempts": [n - 1, n]})
            if n >= attempts:
                current = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
                if current is not None:
                    _lock(conn, current, now, minutes, username)
        raise _wrong()
    rehashed = hash_password(password) if needs_rehash(row["password_hash"]) else None  # before the write lock
    locked = None
    with transaction(conn):
        current = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        if current is None or current["password_hash"] != row["password_hash"]:
            changed = True  # deleted or given a new password meanwhile
        else:
            changed = False
            if current["locked_until"] and current["locked_until"] > _stamp(now):
                locked = current["locked_until"]  # others used up the tries meanwhile: stays locked
            else:
                conn.execute(
                    "UPDATE users SET failed_attempts = 0, locked_until = NULL, password_hash = ? WHERE username = ?",
                    (rehashed or current["password_hash"], username),
                )
                if rehashed:  # stronger parameters: on record like any change
                    _audit_entry(conn, _stamp(now), username, "rehash_password", username)
    if changed:
        raise _wrong()
    if locked:
        raise _locked(locked)
    if row["disabled"]:
        raise Refused(Problem("username", _("This account is disabled. Ask an administrator.")))
    return _stored_user(conn, username)


def reset_password(ctx: Context, username: str, new_password: str) -> User:
    """An admin sets a new password (the user must change it at the next log-in); unlocks the account."""
    ctx.require(Permission.ADMINISTER)
    problems = password_problems(new_password)
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        _require_user(ctx.conn, username)
        ctx.conn.execute(
            "UPDATE users SET password_hash = ?, must_change_password = ?, failed_attempts = 0, "
            "locked_until = NULL, updated_at = ? WHERE username = ?",
            (hash_password(new_password), 0 if username == ctx.user else 1, ctx.now_text(), username),
        )
        _audit(ctx, "reset_password", username)
    return _stored_user(ctx.conn, username)


def change_own_password(ctx: Context, old_password: str, new_password: str) -> User:
    """The acting user changes their own password, giving the old one."""
    row = _require_user(ctx.conn, ctx.user)
    if not verify_password(old_password or "", row["password_hash"]):
        raise Refused(Problem("old_password", _("The current password is wrong.")))
    problems = password_problems(new_password, "new_password")
    if not problems and hmac.compare_digest(old_password.encode("utf-8"), new_password.encode("utf-8")):
        problems.append(Problem("new_password", _("The new password must differ from the current one.")))
    if problems:
        raise Refused(problems)
    with transaction(ctx.conn):
        ctx.conn.execute(
            "UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE username = ?",
            (hash_password(new_password), ctx.now_text(), ctx.user),
        )
        _audit(ctx, "change_password", ctx.user)
    return _stored_user(ctx.conn, ctx.user)


def set_disabled(ctx: Context, username: str, disabled: bool = True) -> User:
    """Disable (or enable again) an account. The last active administrator cannot be disabled."""
    ctx.require(Permission.ADMINISTER)
    with transaction(ctx.conn):
        row = _require_user(ctx.conn, username)
        if bool(row["disabled"]) == disabled:
            return _user(row)
        if disabled and row["role"] == Role.ADMIN and _active_admins(ctx.conn) <= 1:
            raise Refused(Problem("username", _("The last active administrator cannot be disabled.")))
        ctx.conn.execute(
            "UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?",
            (int(disabled), ctx.now_text(), username),
        )
        _audit(
            ctx,
            "disable_user" if disabled else "enable_user",
            username,
            {"disabled": [bool(row["disabled"]), disabled]},
        )
    return _stored_user(ctx.conn, username)


def disable_user(ctx: Context, username: str) -> User:
    return set_disabled(ctx, username, True)


def enable_user(ctx: Context, username: str) -> User:
    return set_disabled(ctx, username, False)


def change_role(ctx: Context, username: str, role: Role | str) -> User:
    """An admin gives an account another role (not the last active administrator's)."""
    ctx.require(Permission.ADMINISTER)
    role = parse_role(role) if not isinstance(role, Role) else role
    with transaction(ctx.conn):
        row = _require_user(ctx.conn, username)
        if row["role"] == role:
            return _user(row)
        if role == Role.REVIEWER and (site.site(ctx.conn) or {}).get("role") != site.TOWNSHIP:
            raise Refused(Problem("role", _("Township reviewers exist only on the township's PC.")))
        if row["role"] == Role.ADMIN and not row["disabled"] and _active_admins(ctx.conn) <= 1:
            raise Refused(Problem("role", _("The last active administrator must stay an administrator.")))
        ctx.conn.execute(
            "UPDATE users SET role = ?, updated_at = ? WHERE username = ?", (role.value, ctx.now_text(), username)
        )
        _audit(ctx, "change_role", username, {"role": [row["role"], role.value]})
    return _stored_user(ctx.conn, username)

"""The staff console's routes: check the session, the CSRF token and the staff member's scope, read the form,
call bot.services, render a Jinja2 template. Nothing is decided here that Telegram or the command line decide
elsewhere: the same service functions do the work for all three.

Every route but the sign-in page, the language switch and the static files (a style sheet and htmx) needs a
session. Every id in a URL or a form is checked against the staff member's districts on the server; what is not
theirs is answered 404, as if it did not exist.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...core.campaigns import CampaignStatus
from ...core.events import IST
from ...core.normalise import has_devanagari
from ...services import reports
from ...services.accounts import Account, Throttle, account_scope, verify
from ...services.admin import campaign_label, change_campaign
from ...services.charts import usage_chart
from ...services.entryedit import EditError, edit, fact_users, fact_values, find_entries, read_form
from ...services.outbox import Broadcaster
from ...services.staff import (Action, HandoffDesk, Scope, district_name, entry_districts, group_alias,
                               group_dismiss, group_todo, handoff_alias, handoff_question,
                               handoff_todo, may_edit_entry, resolve_segment, sees_campaign, sees_entry)
from .sessions import COOKIE, PRE_COOKIE, Session, Sessions, fingerprint, new_token
from .texts import (ASKED_KINDS, CHANNEL_NAMES, FIELD_NAMES, KIND_NAMES, LANG_NAMES, OUTCOME_NAMES, STATUS_NAMES, ago,
                    action_text, delivery_text, named, plain_problem, reminder_text, resolved_text, staff_name, tally_text, text)

log = logging.getLogger("exportbot.console")
HERE = Path(__file__).parent
PREFIX = "/console"
LANG_COOKIE = "exportbot_console_lang"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
}


class NotYours(Exception):
    """An id that is not among the staff member's districts' data (or does not exist): 404."""


@dataclass
class Console:
    """What the console works with: the live runtime, the hand-off desk and the broadcaster of this process."""

    runtime: Any
    desk: HandoffDesk
    broadcaster: Broadcaster
    admin_ids: frozenset[int]
    sessions: Sessions
    may_send: bool = False             # this process delivers broadcasts itself (serve); else a running serve does
    by_login: Throttle = field(default_factory=lambda: Throttle(limit=5))
    by_address: Throttle = field(default_factory=lambda: Throttle(limit=20))
    tasks: set[asyncio.Task] = field(default_factory=set)

    @property
    def store(self) -> Any:
        return self.runtime.store


@dataclass
class Ctx:
    request: Request
    console: Console
    account: Account
    session: Session
    lang: str
    form: FormData | None

    @property
    def scope(self) -> Scope:
        return self.account.scope

    @property
    def kb(self):
        return self.console.runtime.kb

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)


env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def _lang(request: Request) -> str:
    return "hi" if request.cookies.get(LANG_COOKIE) == "hi" else "en"


def _html(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(env.get_template(template).render(**values), status_code=status, headers=SECURITY_HEADERS)


def render(ctx: Ctx, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    kb = ctx.kb
    districts = ("" if ctx.scope.districts is None else
                 ", ".join(kb.districts[d].name.get(ctx.lang) if d in kb.districts else d
                           for d in sorted(ctx.scope.districts)))
    return _html(template, status, t=ctx.t, lang=ctx.lang, csrf=ctx.console.sessions.csrf(ctx.session),
                 scope=ctx.scope, scope_text=districts or ctx.t("scope_all"), path=ctx.request.url.path,
                 prefix=PREFIX, district_name=lambda d: _district(kb, d, ctx.lang),
                 channel_name=lambda c: CHANNEL_NAMES.get(c, c), lang_name=lambda code: named(LANG_NAMES, code, ctx.lang),
                 status_name=lambda code: named(STATUS_NAMES, code, ctx.lang),
                 tally_line=lambda tally: tally_text(tally, ctx.lang), may_open=lambda e: _may_open(ctx, e), **values)


def _district(kb: Any, district: str | None, lang: str) -> str:
    return district_name(kb, district, lang, missing="—")


# Forms whose typed text is kept through a new sign-in, and sent again only as a check (an entry) or a draft (a
# broadcast): nothing is saved or sent without the clerk seeing it first.
RESUMABLE = re.compile(rf"^{PREFIX}/(knowledge/[^/]+|broadcasts)$")
KEPT_FIELDS = 40


def _login_page(request: Request, message: str = "", status: int = 200, next_path: str = "",
                kept: list[tuple[str, str]] | None = None) -> Response:
    lang = _lang(request)
    token = request.cookies.get(PRE_COOKIE) or new_token()
    response = _html("login.html", status, t=lambda k, **v: text(k, lang, **v), lang=lang, prefix=PREFIX, csrf=token,
                     message=message, next=_local(next_path), path=request.url.path, kept=kept or [])
    response.set_cookie(PRE_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path=PREFIX)
    return response


async def _refuse(request: Request) -> Response:
    """No session (never had one, or it ended). A page asks to sign in (saying the session ended, when it did); an
    htmx action says so above the page, leaving what was typed in place; a form's text is kept through signing in."""
    lang = _lang(request)
    login = f"{PREFIX}/login"
    ended = COOKIE in request.cookies
    if request.headers.get("HX-Request"):
        response = _html("_expired.html", 401, t=lambda k, **v: text(k, lang, **v), lang=lang, prefix=PREFIX)
        response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#alert", "innerHTML"
        return response
    if request.method == "GET":
        return RedirectResponse(f"{login}?next={request.url.path}" + ("&ended=1" if ended else ""), status_code=303,
                                headers=SECURITY_HEADERS)
    form = await request.form()
    kept = ([(str(k), v) for k, v in form.multi_items() if k != "csrf" and isinstance(v, str)][:KEPT_FIELDS]
            if RESUMABLE.match(request.url.path) else [])
    return _login_page(request, text("ended_post" if kept else "ended_nothing", lang), 401, request.url.path, kept)


Handler = Callable[[Ctx], Awaitable[Response]]


def page(console: Console, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The session, the account's scope now, and for a POST the CSRF token: then the handler."""

    async def endpoint(request: Request) -> Response:
        lang = _lang(request)
        session = console.sessions.read(request.cookies.get(COOKIE))
        account = None
        if session is not None:
            account = await account_scope(console.store, console.runtime.kb, console.admin_ids, session.login)
        if session is None or account is None or fingerprint(account.password_hash) != session.fingerprint:
            return await _refuse(request)
        form = None
        if request.method == "POST":
            form = await request.form()
            token = form.get("csrf") or request.headers.get("X-CSRF-Token")
            if not console.sessions.csrf_ok(session, str(token) if token else None):
                log.warning("console: a form without a valid CSRF token was refused")
                return _html("_done.html" if request.headers.get("HX-Request") else "message.html", 403,
                             t=lambda k, **v: text(k, lang, **v), lang=lang, prefix=PREFIX, ok=False,
                             message=text("form_expired", lang))
        ctx = Ctx(request, console, account, session, lang, form)
        try:
            response = await handler(ctx)
        except NotYours:
            response = render(ctx, "_done.html" if request.headers.get("HX-Request") else "message.html", 404,
                              ok=False, message=ctx.t("not_yours"))
        if console.sessions.needs_renewal(session):
            _set_session(request, response, console.sessions.issue(account.login, account.password_hash,
                                                                    session.issued))
        return response

    return endpoint


def _set_session(request: Request, response: Response, value: str) -> None:
    response.set_cookie(COOKIE, value, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path=PREFIX)


def _field(ctx: Ctx, name: str) -> str:
    assert ctx.form is not None
    value = ctx.form.get(name)
    return str(value) if value is not None else ""


def _int(value: str) -> int:
    """A number from a URL: ASCII digits that fit the database's integers, else nothing of theirs (404)."""
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise NotYours()
    return int(value)


# ---------------------------------------------------------------- signing in and out

def login_routes(console: Console) -> list[Route]:
    async def login_get(request: Request) -> Response:
        ended = request.query_params.get("ended") == "1"
        return _login_page(request, text("expired", _lang(request)) if ended else "",
                           next_path=request.query_params.get("next", ""))

    async def login_post(request: Request) -> Response:
        lang = _lang(request)
        form = await request.form()
        next_path = _local(str(form.get("next", "")))
        kept = [(str(k)[2:], v) for k, v in form.multi_items() if str(k).startswith("r:") and isinstance(v, str)]
        kept = kept[:KEPT_FIELDS] if RESUMABLE.match(next_path) else []

        def login_page(message: str, status: int) -> Response:
            return _login_page(request, message, status, next_path, kept)

        pre = request.cookies.get(PRE_COOKIE)
        if not pre or form.get("csrf") != pre:
            return login_page(text("form_expired", lang), 403)
        login = str(form.get("login", "")).strip().lower()[:64]
        address = request.client.host if request.client else "?"
        wait = max(console.by_login.wait(login), console.by_address.wait(address))
        if wait > 0:
            log.warning("console: sign-in refused by the throttle")
            return login_page(text("throttled", lang, minutes=max(1, round(wait / 60))), 429)
        account = await verify(console.store, console.runtime.kb, console.admin_ids, login,
                               str(form.get("password", "")))
        if account is None:
            console.by_login.failed(login)
            console.by_address.failed(address)
            log.info("console: a sign-in failed")
            return login_page(text("bad_login", lang), 401)
        console.by_login.succeeded(login)
        log.info("console: staff=%d signed in", account.scope.telegram_id)
        cookie = console.sessions.issue(account.login, account.password_hash)
        if kept:                # what was typed when the session ended: one press sends it again, as a check or draft
            session = console.sessions.read(cookie)
            assert session is not None, "a session just issued is valid"
            entry = next_path.startswith(f"{PREFIX}/knowledge/")
            response = _html("resume.html", 200, t=lambda k, **v: text(k, lang, **v), lang=lang, prefix=PREFIX,
                             target=next_path, csrf=console.sessions.csrf(session), entry=entry,
                             kept=[(k, "check" if entry and k == "action" else v) for k, v in kept])
        else:
            response = RedirectResponse(next_path or f"{PREFIX}/", status_code=303, headers=SECURITY_HEADERS)
        _set_session(request, response, cookie)
        response.delete_cookie(PRE_COOKIE, path=PREFIX)
        return response

    async def logout(ctx: Ctx) -> Response:
        ctx.console.sessions.end(ctx.session)
        response = RedirectResponse(f"{PREFIX}/login", status_code=303, headers=SECURITY_HEADERS)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    async def language(request: Request) -> Response:
        code = request.path_params["code"]
        response = RedirectResponse(_local(request.query_params.get("next", "")) or f"{PREFIX}/", status_code=303,
                                    headers=SECURITY_HEADERS)
        response.set_cookie(LANG_COOKIE, "hi" if code == "hi" else "en", samesite="strict", path=PREFIX,
                            max_age=365 * 86400)
        return response

    return [Route("/login", login_get, methods=["GET"]), Route("/login", login_post, methods=["POST"]),
            Route("/logout", page(console, logout), methods=["POST"]),
            Route("/lang/{code}", language, methods=["GET"])]


def _local(target: str) -> str:
    """Only a path of the console itself is a place to go back to (never another site)."""
    return target if target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target else ""


# ---------------------------------------------------------------- today

async def today(ctx: Ctx) -> Response:
    store = ctx.console.store
    now = store.clock()
    stats = await store.stats(districts=ctx.scope.districts)
    week = await reports.usage(store, now - 7 * 86400, ctx.scope.districts)
    waiting = await store.handoffs(status="open", districts=ctx.scope.districts)
    top = [(e, _title(ctx, e), n) for e, n in week.top_entries[:5]]
    return render(ctx, "today.html", stats=stats, week=week, waiting=len(waiting), top=top,
                  rate=f"{100 * week.decline_rate:.0f}%" if week.questions else "—")


async def chart(ctx: Ctx) -> Response:
    store = ctx.console.store
    used = await reports.usage(store, store.clock() - 30 * 86400, ctx.scope.districts)
    png = await asyncio.to_thread(usage_chart, used, ctx.kb)
    return Response(png, media_type="image/png", headers=SECURITY_HEADERS)


def _csv(ctx: Ctx, name: str, body: str) -> Response:
    """A spreadsheet download; the byte-order mark makes Excel read the Devanagari as UTF-8."""
    scope = "state" if ctx.scope.districts is None else "-".join(sorted(ctx.scope.districts))
    day = datetime.fromtimestamp(ctx.console.store.clock(), IST).date().isoformat()
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8", headers={
        **SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}-{scope}-{day}.csv"'})


async def usage_csv(ctx: Ctx) -> Response:
    store = ctx.console.store
    days = 7 if ctx.request.query_params.get("days") == "7" else 30
    used = await reports.usage(store, store.clock() - days * 86400, ctx.scope.districts)
    return _csv(ctx, f"usage-{days}d", reports.usage_csv(used))


# ---------------------------------------------------------------- unanswered

def _may_open(ctx: Ctx, entry_id: str | None) -> bool:
    """An entry whose page the clerk may open (a link to another district's entry would only say 'not found')."""
    entry = ctx.kb.entries.get(entry_id) if entry_id else None
    return entry is not None and sees_entry(ctx.scope, entry)


def _teachable(ctx: Ctx, entry_id: str | None) -> bool:
    """An entry the clerk may add a question to: theirs to see, with aliases (an HS code has product words)."""
    entry = ctx.kb.entries.get(entry_id) if entry_id else None
    return entry is not None and entry.kind != "hs_code" and sees_entry(ctx.scope, entry)


def _title(ctx: Ctx, entry_id: str) -> str:
    entry = ctx.kb.entries.get(entry_id)
    return entry.title.get(ctx.lang) if entry is not None else entry_id


async def unanswered(ctx: Ctx) -> Response:
    store = ctx.console.store
    days = 30 if ctx.request.query_params.get("days") == "30" else 7
    report = await reports.unanswered(store, ctx.console.runtime.engine, store.clock() - days * 86400,
                                      ctx.scope.districts)
    groups = []
    for g in report.groups:
        closest = [(e, _title(ctx, e)) for e, _ in g.closest if _teachable(ctx, e)]
        groups.append({"key": g.key, "text": g.text, "count": g.count, "variants": g.variants[:3],
                       "notes": g.notes[:3], "closest": closest,
                       "kinds": ", ".join(f"{named(ASKED_KINDS, k, ctx.lang)} {n}" for k, n in g.tally("kind")),
                       "districts": ", ".join(f"{_district(ctx.kb, d, ctx.lang)} {n}" for d, n in g.tally("district")),
                       "langs": ", ".join(f"{named(LANG_NAMES, code, ctx.lang)} {n}" for code, n in g.tally("lang"))})
    return render(ctx, "unanswered.html", groups=groups, todo=report.todo, days=days)


async def unanswered_csv(ctx: Ctx) -> Response:
    store = ctx.console.store
    days = 30 if ctx.request.query_params.get("days") == "30" else 7
    report = await reports.unanswered(store, ctx.console.runtime.engine, store.clock() - days * 86400,
                                      ctx.scope.districts)
    return _csv(ctx, f"unanswered-{days}d", reports.unanswered_csv(report, ctx.kb))


def _action_response(ctx: Ctx, action: Action, back: str, status: int = 200) -> Response:
    ok = action.kind in ("alias", "todo", "dismissed") and not (action.taught and action.taught.problems)
    message = action_text(action, ctx.lang, lambda e: _title(ctx, e))
    if ctx.request.headers.get("HX-Request"):
        # a hand-off's card keeps its heading; an unanswered group's message names the question itself
        return render(ctx, "_done.html", status, ok=ok, message=message,
                      question=action.question if action.handoff_id else "", number=action.handoff_id)
    return render(ctx, "message.html", status, message=message, back=back, ok=ok)


async def unanswered_action(ctx: Ctx) -> Response:
    key = _int(ctx.request.path_params["key"])
    what = ctx.request.path_params["what"]
    runtime = ctx.console.runtime
    if what == "alias":
        action = await group_alias(runtime, ctx.scope, key, _field(ctx, "entry"))
    elif what == "todo":
        action = await group_todo(runtime, ctx.scope, key)
    elif what == "dismiss":
        action = await group_dismiss(runtime, ctx.scope, key)
    else:
        raise NotYours()
    log.info("console: staff=%d unanswered %s -> %s", ctx.scope.telegram_id, what, action.kind)
    # gone: dealt with already, or never theirs (another district's group answers the same, as a 404)
    return _action_response(ctx, action, f"{PREFIX}/unanswered", 404 if action.kind == "gone" else 200)


async def entry_search(ctx: Ctx) -> Response:
    """Entries to add a question to, as the clerk types (htmx)."""
    params = ctx.request.query_params
    found = find_entries(ctx.kb, ctx.console.runtime.engine, params.get("q", ""),
                         visible=lambda e: _teachable(ctx, e.id), limit=8) if params.get("q", "").strip() else []
    target = params.get("target", "")
    if not (target.startswith(f"{PREFIX}/unanswered/") or target.startswith(f"{PREFIX}/handoffs/")):
        target = ""
    return render(ctx, "_entry_choices.html", entries=[(e.id, e.title.get(ctx.lang), e.kind) for e in found],
                  target=target, searched=bool(params.get("q", "").strip()))


# ---------------------------------------------------------------- hand-offs

async def handoffs(ctx: Ctx) -> Response:
    store = ctx.console.store
    now = store.clock()
    waiting = await store.handoffs(status="open", districts=ctx.scope.districts)
    answered = [h for h in await store.handoffs(status="answered", since=now - 7 * 86400,
                                                districts=ctx.scope.districts)][-20:]
    rows = [{**h, "ago": ago(now - h["created_at"], ctx.lang), "district_name": _district(ctx.kb, h["district"], ctx.lang),
             "user_question": handoff_question(h)} for h in waiting]
    done = [{**h, "user_question": handoff_question(h), "by": staff_name(h["answered_by"]),
             "then": resolved_text(h["resolved"], ctx.lang, lambda e: _title(ctx, e))} for h in reversed(answered)]
    cannot = sorted({CHANNEL_NAMES.get(h["channel"], h["channel"]) for h in waiting
                     if h["channel"] not in ctx.console.desk.senders})
    return render(ctx, "handoffs.html", waiting=rows, answered=done, cannot_send=", ".join(cannot))


async def _own_handoff(ctx: Ctx, handoff_id: int) -> dict[str, Any]:
    handoff = await ctx.console.store.handoff(handoff_id)
    if handoff is None or not ctx.scope.sees(handoff["district"]):
        raise NotYours()
    return handoff


async def handoff_answer(ctx: Ctx) -> Response:
    handoff = await _own_handoff(ctx, _int(ctx.request.path_params["id"]))
    answer = _field(ctx, "answer").strip()
    if not answer:
        return render(ctx, "_handoff_answered.html", ok=False, message=ctx.t("empty_answer"), h=handoff, near=None,
                      near_title="", question=handoff_question(handoff), answer="")
    done = await ctx.console.desk.deliver(ctx.scope, handoff["id"], answer)
    after = await ctx.console.store.handoff(handoff["id"])
    sent = done.status == "sent"
    near = done.entry_id if sent and _teachable(ctx, done.entry_id) else None
    log.info("console: staff=%d answered handoff=%d: %s", ctx.scope.telegram_id, handoff["id"], done.status)
    return render(ctx, "_handoff_answered.html", ok=sent, message=delivery_text(done, ctx.lang), h=after or handoff,
                  near=near, question=handoff_question(handoff), answer=answer if not sent else "",
                  near_title=_title(ctx, near) if near else "")


async def handoff_action(ctx: Ctx) -> Response:
    handoff = await _own_handoff(ctx, _int(ctx.request.path_params["id"]))
    what = ctx.request.path_params["what"]
    if what == "alias":
        action = await handoff_alias(ctx.console.runtime, ctx.scope, handoff["id"], _field(ctx, "entry"))
    elif what == "todo":
        action = await handoff_todo(ctx.console.runtime, ctx.scope, handoff["id"])
    else:
        raise NotYours()
    return _action_response(ctx, action, f"{PREFIX}/handoffs")


# ---------------------------------------------------------------- knowledge

async def knowledge(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    q, kind, district = params.get("q", ""), params.get("kind", ""), params.get("district", "")
    kb = ctx.kb

    def visible(entry) -> bool:
        if not sees_entry(ctx.scope, entry) or (kind and entry.kind != kind):
            return False
        about = entry_districts(entry)
        return not district or (district == "state" and not about) or district in about

    own = ctx.scope.districts
    found = find_entries(kb, ctx.console.runtime.engine, q, visible=visible, limit=100,
                         first=(lambda e: bool(entry_districts(e) & own)) if own is not None else None)
    kinds = sorted({e.kind for e in kb.entries.values()})
    districts = sorted(ctx.scope.districts if ctx.scope.districts is not None else kb.districts,
                       key=lambda d: _district(kb, d, ctx.lang))
    rows = [(e.id, e.title.get(ctx.lang), KIND_NAMES.get(e.kind, (e.kind, e.kind))[ctx.lang == "hi"],
             ", ".join(_district(kb, d, ctx.lang) for d in sorted(entry_districts(e))) or ctx.t("statewide"))
            for e in found]
    template = "_entry_rows.html" if ctx.request.headers.get("HX-Request") else "knowledge.html"
    return render(ctx, template, rows=rows, q=q, kind=kind, district=district, kinds=kinds, districts=districts,
                  kind_names=KIND_NAMES, full=len(found) >= 100)


def _item(ctx: Ctx, item_id: str) -> tuple[Any, bool]:
    """(the entry or None for a fact, may the staff member edit it); NotYours when it is not to be seen."""
    entry = ctx.kb.entries.get(item_id)
    if entry is not None:
        if not sees_entry(ctx.scope, entry):
            raise NotYours()
        return entry, may_edit_entry(ctx.scope, entry)
    return None, ctx.scope.state_admin


async def entry_page(ctx: Ctx, result: Any = None, message: str = "", ok: bool = True) -> Response:
    item_id = ctx.request.path_params["id"]
    entry, editable = _item(ctx, item_id)
    knowledge_dir = ctx.console.runtime.knowledge_dir
    try:
        form = result.form if result is not None else await asyncio.to_thread(
            read_form, knowledge_dir, item_id, entry.location if entry is not None else None)
    except EditError:
        raise NotYours() from None
    facts = await asyncio.to_thread(fact_values, knowledge_dir, form.facts)
    if result is not None and result.preview:
        preview = result.preview
    elif entry is not None:
        engine = ctx.console.runtime.engine
        preview = {lang: engine.render(entry, lang) for lang in ("en", "hi")}
    else:
        preview = {}
    pairs: list[tuple[str, list[Any]]] = []
    for f in form.fields:
        if pairs and pairs[-1][0] == f.name:
            pairs[-1][1].append(f)
        else:
            pairs.append((f.name, [f]))
    title = entry.title.get(ctx.lang) if entry is not None else ctx.t("fact_title", fact="{{" + item_id + "}}")
    used_in = [] if entry is not None else [
        (e, _title(ctx, e), _may_open(ctx, e)) for e in await asyncio.to_thread(fact_users, knowledge_dir, item_id)]
    return render(ctx, "entry.html", used_in=used_in, item_id=item_id, title=title, form=form, pairs=pairs, editable=editable,
                  plain=lambda message: plain_problem(message, ctx.lang),
                  first_problem=next((f.key for f in form.fields if result is not None and f.key in result.problems),
                                     None),
                  facts=facts, preview=preview, field_names=FIELD_NAMES, message=message, ok=ok,
                  problems=result.problems if result is not None else {},
                  general=result.general if result is not None else [],
                  kind=KIND_NAMES.get(entry.kind, (entry.kind,) * 2)[ctx.lang == "hi"] if entry else ctx.t("fact"))


async def entry_save(ctx: Ctx) -> Response:
    item_id = ctx.request.path_params["id"]
    entry, editable = _item(ctx, item_id)
    if not editable:
        raise NotYours()
    assert ctx.form is not None
    values = {k: str(v) for k, v in ctx.form.items() if k not in ("csrf", "action")}
    write = _field(ctx, "action") == "save"
    runtime = ctx.console.runtime
    try:
        result = await asyncio.to_thread(edit, runtime.knowledge_dir, item_id, values, write=write,
                                         hint=entry.location if entry is not None else None)
    except EditError as exc:
        return await entry_page(ctx, None, ctx.t(f"edit_{exc.reason}", file=exc.file)
                                if exc.reason in ("conflict", "unwritable") else str(exc), ok=False)
    if not result.ok:
        return await entry_page(ctx, result, ctx.t("problems"), ok=False)
    if not result.changed:
        return await entry_page(ctx, result, ctx.t("unchanged"))
    if result.written:
        problems = await runtime.reload()
        log.info("console: staff=%d saved %s (%s)", ctx.scope.telegram_id, item_id, result.form.file)
        if problems:
            return await entry_page(ctx, result, ctx.t("saved_not_live", file=result.form.file) + "\n" +
                                    "\n".join(map(str, problems[:10])), ok=False)
        return await entry_page(ctx, result, ctx.t("saved", file=result.form.file))
    return await entry_page(ctx, result, ctx.t("checked"))


async def try_question(ctx: Ctx) -> Response:
    """What the bot would answer, and why: the top matches with their scores (htmx)."""
    question = ctx.request.query_params.get("q", "")[:1000]
    lang = ctx.request.query_params.get("lang") or None
    engine = ctx.console.runtime.engine
    if not question.strip():
        return HTMLResponse("", headers=SECURITY_HEADERS)
    outcome = engine.ask(question, lang=lang if lang in ("en", "hi") else None)
    query, matches = engine.analyse(question)
    top = [(m.entry.id, m.entry.title.get(ctx.lang), round(m.score, 3)) for m in matches[:5]]
    return render(ctx, "_try.html", outcome=outcome, top=top, query=query,
                  kind=named(OUTCOME_NAMES, outcome.kind, ctx.lang))


# ---------------------------------------------------------------- broadcasts and reminders

def _segments(ctx: Ctx) -> list[tuple[str, str]]:
    kb = ctx.kb
    if ctx.scope.districts is not None:
        return [(f"district:{d}", _district(kb, d, ctx.lang)) for d in sorted(ctx.scope.districts)]
    out = [("all", ctx.t("everyone"))]
    out += [(f"district:{d}", f"{ctx.t('district')}: {_district(kb, d, ctx.lang)}")
            for d in sorted(kb.districts, key=lambda d: kb.districts[d].name.en)]
    out += [(f"sector:{s}", f"{ctx.t('sector')}: {kb.sectors[s].name.get(ctx.lang)}") for s in sorted(kb.sectors)]
    return out


def _reminder_label(ctx: Ctx, campaign: Any) -> str:
    """Which event a reminder is about and when it goes, in the clerk's language."""
    event = next((e for e in ctx.kb.events if e.id == campaign.event_id), None)
    if event is None:
        return campaign_label(campaign, ctx.kb)
    return f"{event.title.get(ctx.lang)}, {campaign.occurrence}: {reminder_text(campaign.offset_kind, ctx.lang)}"


def _segment_text(ctx: Ctx, segment: str | None) -> str:
    return dict(_segments(ctx)).get(segment or "all", segment or "all")


DONE = ("paused", "resumed", "cancelled", "text", "unchanged", "discarded", "not_pending")


async def broadcasts(ctx: Ctx, error: str = "", text_en: str = "", text_hi: str = "", segment: str = "") -> Response:
    store = ctx.console.store
    params = ctx.request.query_params
    done = params.get("done", "")
    number = params.get("c", "")
    notice = ctx.t(f"done_{done}", number=number if number.isascii() and number.isdigit() else "") if (
        done in DONE and not error) else ""
    now = datetime.now(IST)
    await ctx.console.broadcaster.plan(now)
    campaigns = [c for c in await store.campaigns() if sees_campaign(ctx.kb, ctx.scope, c)]
    recent = [c for c in campaigns if c.kind == "broadcast" and c.status != CampaignStatus.CANCELLED][-15:]
    tallies = {c.id: tally_text(await store.tally(c.id), ctx.lang) for c in recent}
    horizon = now.timestamp() + 30 * 86400
    reminders = [c for c in campaigns if c.kind == "reminder" and c.due_at <= horizon and c.status in (
        CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED)]
    return render(ctx, "broadcasts.html", segments=_segments(ctx), recent=list(reversed(recent)), tallies=tallies,
                  reminders=reminders, label=lambda c: _reminder_label(ctx, c), error=error, text_en=text_en,
                  text_hi=text_hi, segment=segment, segment_text=lambda s: _segment_text(ctx, s), notice=notice,
                  when=lambda ts: datetime.fromtimestamp(ts, IST).strftime("%Y-%m-%d %H:%M"))


async def broadcast_compose(ctx: Ctx) -> Response:
    text_en, text_hi, raw = _field(ctx, "text_en").strip(), _field(ctx, "text_hi").strip(), _field(ctx, "segment")
    if not text_en and not text_hi:
        return await broadcasts(ctx, ctx.t("empty_text"), text_en, text_hi, raw)
    segment, why = resolve_segment(ctx.kb, ctx.scope, raw) if raw in dict(_segments(ctx)) else (None, "")
    if segment is None:         # only a forged form names a segment that is not in the list
        return await broadcasts(ctx, ctx.t("choose_segment"), text_en, text_hi, raw)
    # Hindi only: everyone gets the Hindi text (the draft page says so); English only: Hindi users get the English one
    campaign_id, _ = await ctx.console.broadcaster.create_broadcast(text_en or text_hi, segment,
                                                                    f"{ctx.scope.label} console", datetime.now(IST),
                                                                    text_hi=text_hi or None)
    log.info("console: staff=%d drafted broadcast #%d", ctx.scope.telegram_id, campaign_id)
    return RedirectResponse(f"{PREFIX}/broadcasts/{campaign_id}", status_code=303, headers=SECURITY_HEADERS)


async def _own_campaign(ctx: Ctx, kind: str | None = None):
    campaign = await ctx.console.store.campaign(_int(ctx.request.path_params["id"]))
    if campaign is None or not sees_campaign(ctx.kb, ctx.scope, campaign) or (kind and campaign.kind != kind):
        raise NotYours()
    return campaign


async def broadcast_page(ctx: Ctx) -> Response:
    campaign = await _own_campaign(ctx, "broadcast")
    counts = (await ctx.console.broadcaster.recipients(campaign.segment or "all")
              if campaign.status == CampaignStatus.DRAFT else {})
    tally = await ctx.console.store.tally(campaign.id)
    one_text = not campaign.text_hi or campaign.text_hi == campaign.text_en
    only = ("hi" if has_devanagari(campaign.text_en or "") else "en") if one_text else ""
    return render(ctx, "broadcast.html", c=campaign, only=only, counts=[(CHANNEL_NAMES.get(c, c), n) for c, n in sorted(counts.items())],
                  total=sum(counts.values()),
                  tally=tally, segment=_segment_text(ctx, campaign.segment), sending=_sending(campaign),
                  queued_only=not (ctx.console.may_send and ctx.console.broadcaster.senders))


def _sending(campaign: Any) -> bool:
    """Still sending: the page keeps asking until the campaign is done (its last messages can be counted a moment
    before it is marked done; stopping at 'nothing left' left the page saying 'sending' for good)."""
    return campaign.status == CampaignStatus.ACTIVE


async def broadcast_progress(ctx: Ctx) -> Response:
    campaign = await _own_campaign(ctx, "broadcast")
    tally = await ctx.console.store.tally(campaign.id)
    return render(ctx, "_progress.html", c=campaign, tally=tally, sending=_sending(campaign))


async def broadcast_confirm(ctx: Ctx) -> Response:
    campaign = await _own_campaign(ctx, "broadcast")
    console = ctx.console
    segment, _ = resolve_segment(ctx.kb, ctx.scope, campaign.segment or "all")
    if campaign.status == CampaignStatus.DRAFT and segment == campaign.segment:
        queued = await console.broadcaster.confirm_broadcast(campaign.id)
        log.info("console: staff=%d confirmed broadcast #%d (%d queued)", ctx.scope.telegram_id, campaign.id, queued)
        if console.may_send and console.broadcaster.senders:
            task = asyncio.create_task(console.broadcaster.deliver(campaign_id=campaign.id))
            console.tasks.add(task)
            task.add_done_callback(console.tasks.discard)
    return RedirectResponse(f"{PREFIX}/broadcasts/{campaign.id}", status_code=303, headers=SECURITY_HEADERS)


async def broadcast_discard(ctx: Ctx) -> Response:
    campaign = await _own_campaign(ctx, "broadcast")
    discarded = await ctx.console.store.set_campaign_status(campaign.id, CampaignStatus.CANCELLED,
                                                            only_from=(CampaignStatus.DRAFT,))
    done = "discarded" if discarded else "not_pending"
    return RedirectResponse(f"{PREFIX}/broadcasts?done={done}&c={campaign.id}", status_code=303,
                            headers=SECURITY_HEADERS)


async def reminder_action(ctx: Ctx) -> Response:
    campaign = await _own_campaign(ctx)
    what = ctx.request.path_params["what"]
    if what == "text":
        en, hi = _field(ctx, "text_en").strip(), _field(ctx, "text_hi").strip()
        changed = (en or None, hi or None) != (campaign.text_en or None, campaign.text_hi or None) and bool(en or hi)
        if changed:
            changed = await ctx.console.store.set_campaign_text(campaign.id, en or None, hi or None)
            done = "text" if changed else "not_pending"
        else:
            done = "unchanged"
    elif what in ("pause", "resume", "cancel"):
        changed, _ = await change_campaign(ctx.console.store, campaign.id, what)
        done = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[what] if changed else "not_pending"
    else:
        raise NotYours()
    log.info("console: staff=%d %s campaign #%d: %s", ctx.scope.telegram_id, what, campaign.id, done)
    return RedirectResponse(f"{PREFIX}/broadcasts?done={done}&c={campaign.id}#done", status_code=303,
                            headers=SECURITY_HEADERS)


async def not_found(ctx: Ctx) -> Response:
    return render(ctx, "message.html", 404, message=ctx.t("not_found"))


# ---------------------------------------------------------------- the app

def make_console_app(console: Console) -> Starlette:
    """The console's routes, to be mounted at /console (``serve`` and ``exportbot console`` both do)."""

    def p(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        return page(console, handler)

    async def failed(request: Request, exc: Exception) -> Response:
        """Anything unforeseen: a plain page (or, for htmx, a line in place) instead of 'Internal Server Error'."""
        lang = _lang(request)
        template = "_done.html" if request.headers.get("HX-Request") else "message.html"
        return _html(template, 500, t=lambda k, **v: text(k, lang, **v), lang=lang, prefix=PREFIX, ok=False,
                     message=text("server_error", lang))

    routes = login_routes(console) + [
        Route("/", p(today), methods=["GET"]),
        Route("/chart.png", p(chart), methods=["GET"]),
        Route("/usage.csv", p(usage_csv), methods=["GET"]),
        Route("/unanswered", p(unanswered), methods=["GET"]),
        Route("/unanswered.csv", p(unanswered_csv), methods=["GET"]),
        Route("/unanswered/{key}/{what}", p(unanswered_action), methods=["POST"]),
        Route("/entries", p(entry_search), methods=["GET"]),
        Route("/handoffs", p(handoffs), methods=["GET"]),
        Route("/handoffs/{id}/answer", p(handoff_answer), methods=["POST"]),
        Route("/handoffs/{id}/{what}", p(handoff_action), methods=["POST"]),
        Route("/knowledge", p(knowledge), methods=["GET"]),
        Route("/knowledge/{id}", p(entry_page), methods=["GET"]),
        Route("/knowledge/{id}", p(entry_save), methods=["POST"]),
        Route("/try", p(try_question), methods=["GET"]),
        Route("/broadcasts", p(broadcasts), methods=["GET"]),
        Route("/broadcasts", p(broadcast_compose), methods=["POST"]),
        Route("/broadcasts/{id}", p(broadcast_page), methods=["GET"]),
        Route("/broadcasts/{id}/progress", p(broadcast_progress), methods=["GET"]),
        Route("/broadcasts/{id}/confirm", p(broadcast_confirm), methods=["POST"]),
        Route("/broadcasts/{id}/discard", p(broadcast_discard), methods=["POST"]),
        Route("/reminders/{id}/{what}", p(reminder_action), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
        Route("/{rest:path}", p(not_found), methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={Exception: failed})


def mount(console: Console) -> Mount:
    return Mount(PREFIX, app=make_console_app(console))


def standalone_app(console: Console) -> Starlette:
    """`exportbot console`: the console at /console/, and / sends there."""

    async def home(_: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    async def health(_: Request) -> Response:
        return Response("ok", media_type="text/plain")

    return Starlette(routes=[Route("/", home), Route("/healthz", health), mount(console)])

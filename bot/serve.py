"""`exportbot serve`: every configured channel in one process.

Telegram runs by long polling, or by webhook when ``TELEGRAM_WEBHOOK_URL`` is
set; WhatsApp always by webhook. Either way an update is stored in the inbox
before the platform is told it arrived, and a worker per channel answers it. Webhooks share one ASGI app (Starlette +
uvicorn), following python-telegram-bot's ``customwebhookbot/starlettebot.py``.
"""
from __future__ import annotations

import asyncio
import hmac

import httpx
import logging
import signal
import time
from typing import Any, Awaitable, Callable
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from .app import build_channels, channel_senders, make_broadcaster, make_console, make_desk, make_store, open_runtime
from .channels.telegram.handlers import set_commands
from .channels.telegram.inbox import BadUpdate, TelegramInbox
from .channels.webhooks import BadBody, read_body, strict_json
from .channels.whatsapp.channel import BadPayload, WhatsAppChannel, valid_signature
from .channels.whatsapp.client import ConfigurationError, GraphError, WhatsAppClient
from .core.entities import KnowledgeError
from .logs import quiet_http_logs, setup_logging
from .services.staff import staff_ids
from .services.runtime import Runtime, settle_heap
from .services.watcher import KnowledgeWatcher
from .settings import Settings, url_password
from .store import DATABASE_ERRORS

log = logging.getLogger("exportbot.serve")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
WHATSAPP_PATH = "/whatsapp/webhook"


def webhook_path(settings: Settings) -> str:
    path = urlparse(settings.telegram_webhook_url).path if settings.telegram_webhook_url else ""
    return path or DEFAULT_WEBHOOK_PATH


def make_asgi(settings: Settings, telegram: TelegramInbox | None = None,
              whatsapp: WhatsAppChannel | None = None, console: Any = None) -> Starlette:
    """The web app: the Telegram and WhatsApp webhooks that are configured, a health check, and the staff console
    at /console/ (when given).

    Both webhooks store what they accept before answering 200, refuse bodies over 256 KB before reading them
    whole, and answer 4xx (keeping nothing) to bodies that are not what the platform sends; 503 when the
    database cannot take the write, so the platform delivers again later.
    """

    async def telegram_webhook(request: Request) -> Response:
        assert telegram is not None
        given = request.headers.get(SECRET_HEADER, "")
        expected = str(settings.telegram_webhook_secret)
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            await telegram.receive(strict_json(await read_body(request)))
        except BadBody as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        except BadUpdate as exc:
            return PlainTextResponse(f"not an update: {exc}", status_code=400)
        except DATABASE_ERRORS as exc:
            log.error("Telegram webhook: could not store the update (%s); Telegram will deliver it again", exc)
            return PlainTextResponse("try again later", status_code=503)
        return PlainTextResponse("ok")

    async def whatsapp_verify(request: Request) -> Response:
        params = request.query_params
        expected = str(settings.whatsapp_verify_token)
        token = params.get("hub.verify_token", "")
        if (params.get("hub.mode") == "subscribe" and expected
                and hmac.compare_digest(token.encode(), expected.encode())):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def whatsapp_webhook(request: Request) -> Response:
        assert whatsapp is not None
        signature = request.headers.get("X-Hub-Signature-256")
        if signature is None:
            return PlainTextResponse("signature required", status_code=401)
        try:
            body = await read_body(request)
        except BadBody as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        if not valid_signature(body, signature, str(settings.whatsapp_app_secret)):
            return PlainTextResponse("bad signature", status_code=403)
        try:
            await whatsapp.receive(strict_json(body))   # stored in the inbox; answered by the worker, off the request path
        except BadBody as exc:
            return PlainTextResponse(exc.reason, status_code=exc.status)
        except BadPayload as exc:
            return PlainTextResponse(f"not a WhatsApp delivery: {exc}", status_code=400)
        except DATABASE_ERRORS as exc:
            log.error("WhatsApp webhook: could not store the delivery (%s); Meta will deliver it again", exc)
            return PlainTextResponse("try again later", status_code=503)
        return PlainTextResponse("ok")

    async def health(_: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [Route("/healthz", health, methods=["GET"])]
    if telegram is not None:
        routes.append(Route(webhook_path(settings), telegram_webhook, methods=["POST"]))
    if whatsapp is not None:
        routes.append(Route(WHATSAPP_PATH, whatsapp_verify, methods=["GET"]))
        routes.append(Route(WHATSAPP_PATH, whatsapp_webhook, methods=["POST"]))
    if console is not None:
        from .channels.console.web import mount

        routes.append(mount(console))
    return Starlette(routes=routes)


async def start_whatsapp(settings: Settings, runtime: Runtime) -> WhatsAppChannel | None:
    """Check the token and phone number id once, at start-up; None (after a clear log line) if wrong."""
    client = WhatsAppClient(settings.whatsapp_api_base_url, settings.whatsapp_phone_number_id,
                            str(settings.whatsapp_token))
    try:
        info = await client.check()
    except ConfigurationError as exc:
        log.error("WhatsApp: the Graph API refused WHATSAPP_TOKEN or WHATSAPP_PHONE_NUMBER_ID (%s). "
                  "Check both in Meta's app dashboard.", exc.message)
        await client.aclose()
        return None
    except (GraphError, OSError, httpx.HTTPError) as exc:
        log.error("WhatsApp: could not reach the Graph API at %s: %s", settings.whatsapp_api_base_url, exc)
        await client.aclose()
        return None
    log.info("WhatsApp: sending as %s", info.get("verified_name") or info.get("display_phone_number") or "?")
    return WhatsAppChannel(runtime, client)


SEND_MODES = ("auto", "never", "only")
LOCK_CHECK_SECONDS = 5.0            # while sending: how often the sender makes sure it still holds the lock


async def serve_async(settings: Settings, stop: asyncio.Event | None = None, send: str = "auto") -> int:
    """Run every configured channel until ``stop``.

    ``send``: ``auto`` sends reminders and broadcasts when no other process does (and takes over when that one
    stops); ``never`` only receives and answers (a web worker beside a separate sender); ``only`` is that separate
    sender: no webhooks, no inbox, just reminders, broadcasts and hand-off reminders."""
    assert send in SEND_MODES
    stop = stop or asyncio.Event()
    quiet_http_logs()
    if not settings.telegram_token and not settings.whatsapp_configured:
        log.error("no channel configured: set TELEGRAM_BOT_TOKEN and/or the WHATSAPP_* variables")
        return 1
    if missing := settings.whatsapp_missing():
        log.error("WhatsApp is partly configured; also set: %s", ", ".join(missing))
        return 1
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
        log.error("TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_WEBHOOK_URL is set")
        return 1
    try:
        store = await make_store(settings).open()
    except DATABASE_ERRORS as exc:
        log.error("cannot open the database (%s): %s", settings.database_name, exc)
        return 1
    whatsapp: WhatsAppChannel | None = None
    try:
        try:
            runtime = open_runtime(settings, store, keep_last_good=True, status_file=status_path(settings))
        except KnowledgeError as exc:
            for problem in exc.problems:
                log.error("%s", problem)
            log.error("the knowledge base has %d problem(s); not starting", len(exc.problems))
            return 1
        if settings.whatsapp_configured:
            whatsapp = await start_whatsapp(settings, runtime)
            if whatsapp is None:
                return 1
        may_send = send != "never" and await store.try_sender_lock()
        if send != "never" and not may_send:
            log.warning("another exportbot process is sending reminders and broadcasts; this one takes over "
                        "if that one stops")
        channels = build_channels(settings, runtime, telegram_updater=False,
                                  whatsapp_client=whatsapp.client if whatsapp is not None else None,
                                  may_send=may_send)
        application = channels.telegram
        sending = [channels.broadcaster]            # the broadcaster in use (replaced when this process takes over)
        telegram = TelegramInbox(application, store) if application is not None else None
        receives = send != "only"
        tasks: list[asyncio.Task] = []

        desk = None
        wa_client = whatsapp.client if whatsapp is not None else None
        if application is not None and staff_ids(runtime.kb, settings.admin_telegram_ids):
            desk = make_desk(settings, runtime, application.bot, wa_client)
            application.bot_data.desk = desk
        console = None
        if settings.console:
            console = make_console(settings, runtime, desk=desk, broadcaster=channels.broadcaster, may_send=may_send,
                                   senders=channel_senders(settings, store, application.bot if application else None,
                                                          wa_client))

        async def tell_staff(text: str) -> None:
            if application is not None:
                await _tell_admins(application, staff_ids(runtime.kb, settings.admin_telegram_ids), text)

        check_every = min(LOCK_CHECK_SECONDS, settings.scheduler_interval)

        async def send_while_sender(held: bool) -> None:
            """Send reminders and broadcasts while this process holds the sender lock; otherwise ask for it every
            SCHEDULER_SECONDS and take over when the sending process has stopped (or died, or lost its lock)."""
            while not stop.is_set():
                if not held:
                    if await _wait(stop, settings.scheduler_interval):
                        return
                    try:
                        held = await store.try_sender_lock()
                    except DATABASE_ERRORS as exc:
                        log.warning("could not ask for the sender lock (%s)", exc)
                    if not held:
                        continue
                    if not sending[0].senders:
                        sending[0] = make_broadcaster(
                            settings, store, lambda: runtime.kb,
                            telegram_bot=application.bot if application is not None else None,
                            whatsapp_client=whatsapp.client if whatsapp is not None else None)
                        if application is not None:
                            application.bot_data.broadcaster = sending[0]
                    log.warning("this process now sends reminders and broadcasts (the one before it stopped)")
                    # A sender that lost its lock stops within one lock check, and the platform still counts the
                    # last second of its messages: wait both out, so the two never send at once.
                    if await _wait(stop, check_every + 1.0):
                        return
                broadcaster = sending[0]
                broadcaster.stopping.clear()
                uncertain = await broadcaster.recover()
                if uncertain and application is not None:
                    await _tell_admins(application, sorted(settings.admin_telegram_ids),
                                       f"⚠ {len(uncertain)} reminder/broadcast message(s) were being sent when the "
                                       "bot stopped. Their delivery is uncertain; they were not resent. "
                                       "See 'exportbot reminders status'.")
                watchdog = asyncio.create_task(_watch_sender_lock(store, broadcaster, stop, check_every))

                async def still_sender() -> bool:
                    return not broadcaster.stopping.is_set()

                try:
                    await run_scheduler(broadcaster, stop, desk, settings.scheduler_interval, still_sender)
                finally:
                    watchdog.cancel()
                held = False

        watcher = KnowledgeWatcher(runtime, tell_staff, interval=settings.watch_interval)
        try:
            if whatsapp is not None and receives:
                tasks.append(asyncio.create_task(whatsapp.run(stop)))
            if application is not None and telegram is not None:
                application.bot_data.watcher = watcher
                await _start_telegram(application, settings, receives)
                if receives:
                    tasks.append(asyncio.create_task(telegram.worker.run(stop)))
                if receives and not settings.telegram_webhook_url:
                    tasks.append(asyncio.create_task(
                        telegram.poll(stop, settings.telegram_api_base_url, str(settings.telegram_token))))
            if runtime.status.from_snapshot:
                problems = runtime.status.problems
                await tell_staff("\n".join([
                    f"⚠ The bot STARTED ON THE LAST GOOD COPY of the knowledge base: {len(problems)} problem(s) in "
                    f"{settings.knowledge_dir}. The latest edits are NOT live. Fix these and the bot takes them "
                    "within seconds:", *[str(p) for p in problems[:30]]]))
            tasks.append(asyncio.create_task(watcher.run(stop)))
            _on_signal(signal.SIGHUP, watcher.request)
            settle_heap()
            if send != "never":
                tasks.append(asyncio.create_task(send_while_sender(may_send)))
            if (receives and (settings.telegram_webhook_url or whatsapp is not None)) or console is not None:
                web_app = make_asgi(settings, telegram if receives and settings.telegram_webhook_url else None,
                                    whatsapp if receives else None, console)
                if console is not None:
                    log.info("staff console: http://localhost:%d/console/", settings.port)
                await _run_uvicorn(web_app, settings.port, stop)
            else:
                await stop.wait()
        finally:
            # Background work ends first (rows not started stay queued), then Telegram, then the lock.
            stop.set()
            sending[0].stopping.set()
            _on_signal(signal.SIGHUP, None)
            if console is not None:
                tasks.extend(console.tasks)            # broadcasts the console started: they stop where they are
            for result in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("background task failed", exc_info=result)
            if application is not None:
                await _stop_telegram(application)
        return 0
    finally:
        if whatsapp is not None:
            await whatsapp.client.aclose()
        await store.close()                     # also ends this process's claims and its sender lock


async def _watch_sender_lock(store, broadcaster, stop: asyncio.Event, every: float) -> None:
    """While this process sends, make sure it still holds the sender lock (on PostgreSQL the database may have
    dropped its session, and another process taken over): if not, sending stops at once (rows not started stay
    queued) and the scheduler hands over."""
    while not await _wait(stop, every):
        try:
            held = await store.try_sender_lock()
        except DATABASE_ERRORS as exc:
            log.warning("could not check the sender lock (%s)", exc)
            held = False                         # rather pause than send beside another sender
        if not held:
            log.warning("this process no longer holds the sender lock: it stops sending")
            broadcaster.stopping.set()
            return


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless stopped first; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


def status_path(settings: Settings):
    """Where a running serve says what knowledge is live (read by `exportbot kb status` and `kb reload`)."""
    return settings.db_path.parent / "knowledge.status.json"


def _on_signal(sig: int, callback) -> None:
    """Handle a signal in the event loop (SIGHUP: reload the knowledge base); None removes the handler."""
    loop = asyncio.get_running_loop()
    try:
        if callback is None:
            loop.remove_signal_handler(sig)
        else:
            loop.add_signal_handler(sig, callback)
    except (NotImplementedError, RuntimeError, ValueError):   # not the main thread, or no signals here
        pass


async def _start_telegram(application: Application, settings: Settings, receives: bool = True) -> None:
    await application.initialize()
    await application.start()
    if not receives:                            # a separate sender: the web workers own the webhook
        return
    await set_commands(application)
    if settings.telegram_webhook_url:
        await application.bot.set_webhook(settings.telegram_webhook_url,
                                          secret_token=str(settings.telegram_webhook_secret),
                                          allowed_updates=Update.ALL_TYPES)
        return
    await application.bot.delete_webhook()      # the updates are fetched by TelegramInbox.poll, stored first
    log.info("Telegram: polling %s for updates", _safe_base(settings.telegram_api_base_url))


async def _stop_telegram(application: Application) -> None:
    for step in ("updater", "stop", "shutdown"):
        try:
            if step == "updater":
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
            elif step == "stop":
                if application.running:
                    await application.stop()
            else:
                await application.shutdown()
        except Exception:  # noqa: BLE001 - shut down as much as possible
            log.exception("Telegram %s failed during shutdown", step)


async def run_scheduler(broadcaster, stop: asyncio.Event, desk=None, every: float = 60.0,
                        still_sender: Callable[[], Awaitable[bool]] | None = None) -> None:
    """Reminder work every minute, from the calendar and the outbox (re-derived after any restart);
    hand-offs nobody answered for a day are brought up to staff again. Returns when stopped, or when
    ``still_sender`` says this process no longer holds the sender lock."""
    from datetime import datetime

    from .core.events import IST

    while not stop.is_set():
        try:
            if still_sender is not None and not await still_sender():
                return
            await broadcaster.run_due(datetime.now(IST))
            if desk is not None:
                await desk.remind(time.time())
        except Exception:  # noqa: BLE001 - the scheduler must outlive one bad run
            log.exception("reminder run failed; trying again in %.0fs", every)
        await _wait(stop, every)


async def _tell_admins(application: Application, ids, text: str) -> None:
    for admin in ids:
        try:
            await application.bot.send_message(admin, text)
        except Exception as exc:  # noqa: BLE001 - an unreachable admin must not stop the bot
            log.warning("could not tell admin: %s", exc)


async def _run_uvicorn(app: Starlette, port: int, stop: asyncio.Event, host: str = "0.0.0.0") -> None:
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this; without it each response waits ~40 ms on a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await stop.wait()
    server.should_exit = True
    await task
    sock.close()


def _safe_base(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def serve(settings: Settings, send: str = "auto") -> int:
    setup_logging(settings.log_level, [str(settings.telegram_token), str(settings.telegram_webhook_secret),
                                       str(settings.whatsapp_token), str(settings.whatsapp_app_secret),
                                       str(settings.console_secret), url_password(settings.database_url)])

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await serve_async(settings, stop, send)

    # uvloop: the same asyncio API on libuv; the bot's many short waits (the database thread, the HTTP calls,
    # the webhook) cost less CPU each. Plain asyncio where it is not installed.
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())


async def console_async(settings: Settings, host: str, port: int, stop: asyncio.Event | None = None,
                        ready: asyncio.Event | None = None) -> int:
    """`exportbot console`: the staff console alone, for a machine without the bot's tokens (or beside a running
    serve). Hand-off answers go out when a channel's token is set; broadcasts are queued for the running serve;
    edits made by hand to the knowledge files go live here too."""
    from .app import channel_clients

    stop = stop or asyncio.Event()
    quiet_http_logs()
    store = await make_store(settings).open()
    try:
        try:
            runtime = open_runtime(settings, store)
        except KnowledgeError as exc:
            for problem in exc.problems:
                log.error("%s", problem)
            log.error("the knowledge base has %d problem(s); fix them first (exportbot kb check)", len(exc.problems))
            return 1
        async with channel_clients(settings) as (bot, client):
            console = make_console(settings, runtime, senders=channel_senders(settings, store, bot, client))

            async def nobody(_: str) -> None:
                return None

            watcher = KnowledgeWatcher(runtime, nobody, interval=settings.watch_interval)
            watching = asyncio.create_task(watcher.run(stop))
            from .channels.console.web import standalone_app

            if ready is not None:
                ready.set()
            try:
                await _run_uvicorn(standalone_app(console), port, stop, host=host)
            finally:
                stop.set()
                await watching
        return 0
    finally:
        await store.close()

"""The `exportbot` command: kb check, ask, chat, serve, run."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .core.answers import AnswerEngine
from .core.dialogue import Dialogue, Incoming, Turn, UserState
from .core.entities import KnowledgeBase, KnowledgeError
from .core.knowledge import load_knowledge
from .settings import Settings, url_password


def _load_or_exit(directory: Path) -> KnowledgeBase:
    try:
        return load_knowledge(directory)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {directory}: fix them and try again.", file=sys.stderr)
        raise SystemExit(1)


def cmd_kb_check(args: argparse.Namespace, settings: Settings) -> int:
    try:
        kb = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) found; users keep seeing the last good knowledge base.")
        return 1
    from datetime import datetime

    from .core.entities import past_reviews
    from .core.events import IST

    counts = kb.counts()
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    print(f"OK: {settings.knowledge_dir}: {summary}")
    passed = past_reviews(kb.reviews, datetime.now(IST).date())
    for review in passed:
        print(review.warning())
    if passed:
        print(f"{len(passed)} date(s) to review (valid_until / review_by); the bot still answers with them.")
    return 0


def _serve_status(settings: Settings) -> dict | None:
    from .serve import status_path

    path = status_path(settings)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cmd_kb_status(args: argparse.Namespace, settings: Settings) -> int:
    """What the running bot has live, and whether the files on disk check (and differ from it)."""
    from datetime import datetime

    from .core.events import IST
    from .services.runtime import fingerprint

    status = _serve_status(settings)
    on_disk = fingerprint(settings.knowledge_dir)
    if status is None or not _alive(int(status.get("pid", 0))):
        print("No running 'exportbot serve' found for this database: the bot reads the files when it starts.")
        status = None
    else:
        loaded = datetime.fromtimestamp(status["loaded_at"], IST)
        print(f"Running bot (pid {status['pid']}): knowledge live since {loaded:%Y-%m-%d %H:%M:%S} IST.")
        if status.get("from_snapshot"):
            print("WARNING: it started on the LAST GOOD COPY because the files were broken; the latest edits "
                  "are not live.")
        if status["live"] == on_disk:
            print("The files on disk are the ones live.")
        elif status.get("problems"):
            print(f"The files on disk were REFUSED ({len(status['problems'])} problem(s)); "
                  "users keep the previous knowledge base:")
            for line in status["problems"]:
                print("  " + line)
        else:
            print("The files changed since; the bot takes them within a few seconds (or: exportbot kb reload).")
    return cmd_kb_check(args, settings)


def cmd_kb_reload(args: argparse.Namespace, settings: Settings) -> int:
    """Ask the running serve to reload now (SIGHUP), wait for its answer and print it."""
    import os
    import signal
    import time

    status = _serve_status(settings)
    if status is None or not _alive(int(status.get("pid", 0))):
        print("No running 'exportbot serve' found for this database; nothing to reload "
              "(a bot started now reads the files as they are).")
        return 1
    before = status["checked_at"]
    os.kill(int(status["pid"]), signal.SIGHUP)
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = _serve_status(settings)
        if now is not None and now["checked_at"] != before:
            if now["problems"]:
                for line in now["problems"]:
                    print(line)
                print(f"Reload refused: {len(now['problems'])} problem(s). The previous knowledge base stays live.")
                return 1
            print("Reloaded: the running bot answers from the files as they are now.")
            return 0
    print(f"The running bot did not answer within {args.wait:.0f} s; see its log.")
    return 1


def _read_yaml_files(directory: Path) -> dict[str, object]:
    """Each knowledge file of a directory, parsed, by file name; exits naming the line of a file that cannot be read."""
    from .core import yamlmarks

    if not directory.is_dir():
        raise SystemExit(f"{directory} is not a directory")
    out: dict[str, object] = {}
    for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
        data, problems = yamlmarks.load(path.read_text(encoding="utf-8"))
        if data is None and problems:
            raise SystemExit("\n".join(f"{path}:{p.line}: {p.message}" for p in problems) +
                             f"\n{path} cannot be read: fix it (exportbot kb check) and compare again.")
        out[path.name] = data
    return out


def cmd_kb_diff(args: argparse.Namespace, settings: Settings) -> int:
    """What changed between two knowledge directories: entries, fields, facts and synonyms."""
    from .core.kbdiff import diff_knowledge, render

    old, new = Path(args.old), Path(args.new)
    print(render(diff_knowledge(_read_yaml_files(old), _read_yaml_files(new)), str(old), str(new)))
    return 0


def _district_scope(settings: Settings, kb: KnowledgeBase, name: str | None) -> frozenset[str] | None:
    return None if not name else frozenset({_district_id(kb, name)})


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """report unanswered / report usage: the numbers a district meeting needs, on screen, as CSV, as a chart."""
    import asyncio
    import time

    from .services import reports
    from .app import make_store

    kb = _load_or_exit(settings.knowledge_dir)
    engine = AnswerEngine(kb)
    districts = _district_scope(settings, kb, args.district)
    try:
        since = reports.parse_since(args.since, time.time())
    except ValueError as exc:
        raise SystemExit(f"--since: {exc}")

    async def run() -> int:
        store = await make_store(settings).open()
        try:
            if args.report_command == "unanswered":
                report = await reports.unanswered(store, engine, since, districts)
                print(reports.unanswered_text(report, kb, limit=args.limit))
                if args.csv:
                    Path(args.csv).write_text(reports.unanswered_csv(report, kb), encoding="utf-8")
                    print(f"CSV: {args.csv}")
                return 0
            usage = await reports.usage(store, since, districts)
            print(reports.usage_text(usage, kb))
            if args.csv:
                Path(args.csv).write_text(reports.usage_csv(usage), encoding="utf-8")
                print(f"CSV: {args.csv}")
            if args.plot:
                from .services.charts import usage_chart

                Path(args.plot).write_bytes(usage_chart(usage, kb))
                print(f"Chart: {args.plot}")
            return 0
        finally:
            await store.close()

    return asyncio.run(run())


def cmd_kb_add_alias(args: argparse.Namespace, settings: Settings) -> int:
    """Write a question as an alias of an entry (one new line in its file), check, and mark it dealt with."""
    import asyncio
    import time

    from .services import reports
    from .services.kbedit import AliasError, add_alias
    from .app import make_store

    try:
        edit = add_alias(settings.knowledge_dir, args.entry_id, args.question)
    except AliasError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"Not added: {exc.message}")
        return 1
    kb = load_knowledge(settings.knowledge_dir)
    engine = AnswerEngine(kb)
    if edit.added:
        print(f"Added to {edit.file}:{edit.line} (aliases.{edit.lang}): {edit.text}")
    else:
        print(f"'{edit.text}' is already an alias of {args.entry_id} ({edit.file}).")
    outcome = engine.ask(edit.text)
    if outcome.kind == "answer" and outcome.entry is not None and outcome.entry.id == args.entry_id:
        print(f"The bot now answers it with {args.entry_id}. A running bot takes the change within a few seconds.")
    else:
        now = outcome.entry.id if outcome.entry is not None else outcome.kind
        print(f"Note: the bot still answers it with '{now}'; a synonym or keyword may be needed too.")

    async def resolve() -> int:
        store = await make_store(settings).open()
        try:
            report = await reports.unanswered(store, engine, time.time() - 90 * 86400)
            group = reports.find_text(report, edit.text)
            if group is not None:
                await store.resolve_questions([a.id for a in group.items], f"alias:{args.entry_id}")
                return group.count
            return 0
        finally:
            await store.close()

    if settings.database_url or settings.db_path.exists():
        done = asyncio.run(resolve())
        if done:
            print(f"{done} unanswered question(s) like it are marked as dealt with.")
    return 0


def cmd_kb_todo(args: argparse.Namespace, settings: Settings) -> int:
    """The to-do list of questions that need a new answer: list, add, mark done."""
    import asyncio

    from .app import make_store

    async def run() -> int:
        store = await make_store(settings).open()
        try:
            if args.add:
                number = await store.todo_add(args.add, None, None, None, 1, "cli")
                print(f"#{number} added: {args.add}")
                return 0
            if args.done is not None:
                ok = await store.todo_done(args.done, "cli")
                print(f"#{args.done} done." if ok else f"#{args.done} is not on the open to-do list.")
                return 0 if ok else 1
            rows = await store.todo_list()
            for row in rows:
                where = f" [{row['district']}]" if row["district"] else ""
                note = f"  (looking for: {row['note']})" if row["note"] else ""
                print(f"#{row['id']}{where} ×{row['count']} {row['question']}{note}")
            print(f"{len(rows)} question(s) need a new answer." if rows else "The to-do list is empty.")
            return 0
        finally:
            await store.close()

    return asyncio.run(run())


def turn_json(question: str, turn: Turn, lang: str) -> dict:
    """One message's result as `ask --json` prints it: the decision, the text a user would read, and its kind."""
    o = turn.outcome
    out_lang = o.lang if o is not None else lang
    return {
        "question": question,
        "matched": bool(o is not None and o.matched),
        "answer": "\n\n".join(r.text for r in turn.replies),
        "entry_id": o.entry.id if o is not None and o.entry else None,
        "score": round(o.score, 4) if o is not None else 0.0,
        "lang": out_lang,
        "kind": turn.kind or (o.kind if o is not None else "other"),
        "suggestions": [{"entry_id": e.id, "title": e.title.get(out_lang)} for e in (o.suggestions if o else ())],
    }


def _district_id(kb: KnowledgeBase, name: str | None) -> str | None:
    if not name:
        return None
    from .core.dialogue import find_district

    found = find_district(kb, name)
    if found is None:
        raise SystemExit(f"--district: no district called '{name}'")
    return found.id


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer questions as the bot would for a new user (with --dialog: one conversation per block of lines)."""
    kb = _load_or_exit(settings.knowledge_dir)
    dialogue = Dialogue(AnswerEngine(kb))
    district = _district_id(kb, args.district)
    fresh = UserState(lang=args.lang, district=district)
    questions = args.question
    if questions == ["-"]:
        questions = [line.rstrip("\n") for line in sys.stdin]
    state = fresh
    for q in questions:
        if args.dialog and not q.strip():
            state = fresh                      # a blank line: the next message is a new user's
            continue
        turn = dialogue.handle(state if args.dialog else fresh, Incoming("text", q))
        state = turn.state
        if args.json:
            print(json.dumps(turn_json(q, turn, state.lang or "en"), ensure_ascii=False))
        else:
            print("\n\n".join(r.text for r in turn.replies) + ("\n" if args.dialog else ""))
    sys.stdout.flush()
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from .channels.terminal import run_terminal_chat

    return run_terminal_chat(settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .serve import serve

    send = "never" if getattr(args, "no_send", False) else "only" if getattr(args, "send_only", False) else "auto"
    return serve(settings, send)


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    """The staff console alone (no tokens needed): prints the address to open."""
    import asyncio
    import signal

    from .logs import setup_logging
    from .app import make_store
    from .serve import console_async

    setup_logging(settings.log_level, [str(settings.telegram_token), str(settings.whatsapp_token),
                                       str(settings.console_secret)])

    async def main() -> int:
        store = await make_store(settings).open()
        try:
            accounts = await store.console_accounts()
        finally:
            await store.close()
        shown = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
        print(f"Staff console: http://{shown}:{args.port}/console/  (Ctrl+C stops it)")
        if args.host == "0.0.0.0":
            print("Listening on every address of this machine: others on the office network can open it too.")
        if not accounts:
            print("No console account yet. Create one:  exportbot staff set-password LOGIN --telegram-id ID")
        if not settings.console_secret:
            print("CONSOLE_SECRET is not set: everyone is signed out when this stops.")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await console_async(settings, args.host, args.port, stop)

    return asyncio.run(main())


def cmd_staff(args: argparse.Namespace, settings: Settings) -> int:
    """Console accounts: set a password (creating the account), list them, remove one."""
    import asyncio
    import getpass
    from datetime import datetime

    from .core.events import IST
    from .services.accounts import AccountError, check_login, set_password
    from .app import make_store
    from .services.staff import scope_of

    kb = _load_or_exit(settings.knowledge_dir)

    async def run() -> int:
        store = await make_store(settings).open()
        try:
            if args.staff_command == "set-password":
                if args.password_stdin:
                    password = sys.stdin.readline().rstrip("\n")
                else:
                    password = getpass.getpass("New password (10 characters or more): ")
                    if getpass.getpass("The same again: ") != password:
                        print("The two passwords differ; nothing changed.")
                        return 1
                try:
                    scope = await set_password(store, kb, settings.admin_telegram_ids, args.login, args.telegram_id,
                                               password)
                except AccountError as exc:
                    print(f"Not set: {exc}.")
                    return 1
                where = ("every district (state admin)" if scope.state_admin
                         else ", ".join(sorted(scope.districts or ())))
                print(f"Password set for '{check_login(args.login)}' ({scope.name}; sees {where}).")
                return 0
            if args.staff_command == "remove":
                ok = await store.console_account_remove(args.login.strip().lower())
                print(f"'{args.login}' removed." if ok else f"There is no account '{args.login}'.")
                return 0 if ok else 1
            rows = await store.console_accounts()
            for row in rows:
                scope = scope_of(kb, settings.admin_telegram_ids, int(row["telegram_id"]))
                role = ("NOT STAFF any more (cannot sign in)" if scope is None else
                        "state admin" if scope.state_admin else "district: " + ", ".join(sorted(scope.districts or ())))
                changed = datetime.fromtimestamp(row["updated_at"], IST).strftime("%Y-%m-%d %H:%M")
                print(f"{row['login']:<20} telegram {row['telegram_id']:<12} {role} · password set {changed}")
            print(f"{len(rows)} console account(s)." if rows else
                  "No console accounts. Create one: exportbot staff set-password LOGIN --telegram-id ID")
            return 0
        finally:
            await store.close()

    return asyncio.run(run())


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """The Telegram bot when a token is configured, the terminal chat otherwise."""
    if settings.telegram_token or settings.whatsapp_configured:
        return cmd_serve(args, settings)
    print("No TELEGRAM_BOT_TOKEN (or WHATSAPP_TOKEN) set: starting the terminal chat. "
          "Set it in .env to run the bot.")
    return cmd_chat(args, settings)


def _when(text: str):
    from datetime import datetime

    from .core.events import IST

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"'{text}' is not a date-time like 2027-01-05T10:00+05:30")
    return moment if moment.tzinfo else moment.replace(tzinfo=IST)


async def _with_broadcaster(settings: Settings, work, sends: bool = False) -> int:
    from .logs import setup_logging
    from .app import channel_clients, make_broadcaster, make_store, sender_lock

    setup_logging("WARNING", [str(settings.telegram_token), str(settings.whatsapp_token),
                              url_password(settings.database_url)])
    kb = _load_or_exit(settings.knowledge_dir)
    store = await make_store(settings).open()
    try:
        async with sender_lock(store) as unlocked:
            async with channel_clients(settings) as (bot, client):
                broadcaster = make_broadcaster(settings, store, lambda: kb, telegram_bot=bot, whatsapp_client=client,
                                               may_send=unlocked)
                if sends and not unlocked:
                    print("Another exportbot process (a running 'serve') is sending; it will deliver what is queued.")
                elif sends:
                    uncertain = await broadcaster.recover()
                    if uncertain:
                        print(f"{len(uncertain)} message(s) were being sent when the bot last stopped; marked "
                              "'uncertain' and not resent (see 'exportbot reminders status').")
                return await work(broadcaster, store, kb)
    finally:
        await store.close()


def cmd_reminders(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    from datetime import datetime, timedelta

    from .core.dialogue import format_date
    from .core.events import IST
    from .core.campaigns import OutboxState
    from .core.reminders import per_channel, reminders_between, wants
    from .services.admin import campaign_label, change_campaign

    async def run(broadcaster, store, kb) -> int:
        if args.reminders_command == "run":
            now = _when(args.at) if args.at else datetime.now(IST)
            if not broadcaster.senders:
                print("No channel configured (TELEGRAM_BOT_TOKEN / WHATSAPP_*): reminders are queued, not sent.")
            await broadcaster.plan(now)
            added = await broadcaster.queue_due(now)
            report = await broadcaster.deliver(now=now)
            print(f"{now:%Y-%m-%d %H:%M %Z}: {sum(added.values())} message(s) queued.")
            for campaign_id in sorted(set(added) | report.campaigns):
                c = await store.campaign(campaign_id)
                assert c is not None          # it was just queued or sent, and campaigns are never deleted
                print(f"#{c.id} {c.status} {campaign_label(c, kb)}: {(await store.tally(c.id)).line()}")
            return 0
        if args.reminders_command == "preview":
            start = _when(args.from_)
            end = _when(args.to) if args.to else start + timedelta(days=30)
            subscribers = await store.subscribers()
            found = reminders_between(kb.events, start, end, broadcaster.settings)
            held = {c.key: c.status for c in await store.campaigns() if c.status in ("paused", "cancelled")}
            for due in found:
                counts = per_channel(subscribers, lambda s: wants(s, due.event))
                who = ", ".join(f"{ch} {n}" for ch, n in sorted(counts.items())) or "nobody subscribed"
                note = {"paused": "  PAUSED: will not go unless resumed",
                        "cancelled": "  CANCELLED: will not go"}.get(held.get(due.key, ""), "")
                print(f"{due.due_at:%Y-%m-%d %H:%M} IST  {due.key}  -> {who}{note}")
                print(f"    {due.event.title.en}, {format_date(due.occurrence.start, 'en')}")
            print(f"{len(found)} reminder(s) between {start:%Y-%m-%d} and {end:%Y-%m-%d}; nothing was sent.")
            return 0
        if args.reminders_command == "status":
            await broadcaster.plan(datetime.now(IST))
            for c in await store.campaigns():
                due = datetime.fromtimestamp(c.due_at, IST)
                shown = (await store.tally(c.id)).line() if c.queued_at is not None else "not queued yet"
                print(f"#{c.id:<4} {c.status:<9} {due:%Y-%m-%d %H:%M}  {campaign_label(c, kb)}: {shown}")
            uncertain = [r for r in await store.outbox_rows() if r.state == OutboxState.UNCERTAIN]
            for r in uncertain:
                print(f"UNCERTAIN: campaign #{r.campaign_id} {r.channel} chat {r.chat_id}: {r.error}")
            return 0
        campaign = await store.campaign(args.id)
        if campaign is None:
            print(f"no reminder or broadcast #{args.id}")
            return 1
        if args.reminders_command == "edit":
            text = Path(args.text_file).read_text(encoding="utf-8").strip()
            text_hi = Path(args.text_file_hi).read_text(encoding="utf-8").strip() if args.text_file_hi else None
            if not await store.set_campaign_text(args.id, text, text_hi):
                print(f"#{args.id} is {campaign.status}: only a pending reminder or broadcast can be edited")
                return 1
            print(f"#{args.id}: text changed (messages already sent are not resent)"
                  + ("" if text_hi else "; Hindi users keep the Hindi text"))
            return 0
        ok, now_is = await change_campaign(store, args.id, args.reminders_command)
        assert now_is is not None          # it existed a moment ago, and campaigns are never deleted
        print(f"#{args.id}: {now_is.status}" if ok else f"#{args.id} is {now_is.status}; nothing changed")
        return 0 if ok else 1

    return asyncio.run(_with_broadcaster(settings, run, sends=args.reminders_command == "run"))


def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    from datetime import datetime

    from .core.events import IST

    text = Path(args.text_file).read_text(encoding="utf-8").strip()
    if not text:
        raise SystemExit("the text file is empty")

    async def run(broadcaster, store, kb) -> int:
        from .services.staff import resolve_segment

        segment, problem = resolve_segment(kb, None, args.segment)
        if segment is None:
            print(f"Not sent: {problem}.")
            return 1
        campaign_id, counts = await broadcaster.create_broadcast(text, segment, "cli", datetime.now(IST))
        total = sum(counts.values())
        print("Preview:\n" + text)
        print("Recipients: " + (", ".join(f"{ch} {n}" for ch, n in sorted(counts.items())) or "none"))
        if not args.yes:
            answer = input(f"Send to {total} subscriber(s)? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                await store.set_campaign_status(campaign_id, "cancelled")
                print("Cancelled.")
                return 1
        await broadcaster.confirm_broadcast(campaign_id)

        async def progress(tally) -> None:
            done = tally.total - tally.left
            width = 30
            filled = int(width * done / total) if total else width
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {tally.line()}")
            sys.stderr.flush()

        if not broadcaster.senders:
            print(f"Broadcast #{campaign_id} queued.")
            return 0
        await broadcaster.deliver(progress=progress, campaign_id=campaign_id)
        sys.stderr.write("\n")
        print(f"Broadcast #{campaign_id} delivery report: {(await store.tally(campaign_id)).line()}")
        return 0

    return asyncio.run(_with_broadcaster(settings, run, sends=True))


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """`db migrate-to postgresql://…`: copy the SQLite database into an empty PostgreSQL database."""
    import asyncio

    from .app import make_store

    target = settings.with_database(args.url)
    if not target.database_url:
        raise SystemExit(f"db migrate-to: '{args.url}' is not a postgresql:// URL")
    if settings.database_url:
        raise SystemExit("db migrate-to copies a SQLite file: give it with --db FILE (or EXPORTBOT_DB), "
                         "not DATABASE_URL=postgresql://…")
    if not settings.db_path.exists():
        print(f"There is no SQLite database at {settings.db_path}; nothing to copy.")
        return 1

    async def run() -> int:
        source = await make_store(settings).open()          # brought to this release's schema first
        try:
            if not await source.try_sender_lock():
                print(f"An exportbot process (serve) is using {settings.db_path}: stop it first, so that nothing "
                      "is written to SQLite during the copy.")
                return 1
            destination = await make_store(target).open()
            try:
                if not await destination.is_empty():
                    print(f"{target.database_name} already holds data; copy into an empty database (or a new "
                          "schema: add ?search_path=NAME to the URL).")
                    return 1
                print(f"Copying {settings.database_name} to {target.database_name} ...")

                def progress(table: str, rows: int) -> None:
                    print(f"  {table}: {rows} row(s)")

                copied = await destination.copy_from(source, progress)
            finally:
                await destination.close()
        finally:
            await source.close()
        print(f"Done: {sum(copied.values())} row(s) in {len(copied)} tables. Now set DATABASE_URL to that URL and "
              f"start the bot; keep {settings.db_path} as a backup.")
        return 0

    from .store import DATABASE_ERRORS

    try:
        return asyncio.run(run())
    except DATABASE_ERRORS as exc:
        print(f"The copy failed and nothing was kept in {target.database_name}: {exc}")
        return 1


def build_parser() -> argparse.ArgumentParser:
    def paths(default: object) -> argparse.ArgumentParser:
        # Subcommands use SUPPRESS so that '--knowledge DIR' before the subcommand is not reset by it.
        p = argparse.ArgumentParser(add_help=False)
        p.add_argument("--knowledge", metavar="DIR", default=default,
                       help="knowledge directory (default: $KNOWLEDGE_DIR or knowledge/)")
        p.add_argument("--db", metavar="FILE|URL", default=default,
                       help="SQLite file or postgresql://… URL (default: $DATABASE_URL, $EXPORTBOT_DB or "
                            "data/exportbot.sqlite3)")
        return p

    common = paths(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="exportbot", description="Export helpdesk bot for Uttar Pradesh.",
                                     parents=[paths(None)])
    sub = parser.add_subparsers(dest="command", required=True)

    kb = sub.add_parser("kb", help="knowledge base tools", parents=[common])
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate knowledge/*.yaml; exit 1 on any problem", parents=[common])
    check.set_defaults(func=cmd_kb_check)
    status = kb_sub.add_parser("status", help="what the running bot has live, and whether the files check",
                               parents=[common])
    status.set_defaults(func=cmd_kb_status)
    reload = kb_sub.add_parser("reload", help="make the running bot reload the knowledge now", parents=[common])
    reload.add_argument("--wait", type=float, default=15.0, help="seconds to wait for its answer (default 15)")
    reload.set_defaults(func=cmd_kb_reload)
    alias = kb_sub.add_parser("add-alias", help="add a question as an alias of an entry (one new line)",
                              parents=[common])
    alias.add_argument("entry_id")
    alias.add_argument("question")
    alias.set_defaults(func=cmd_kb_add_alias)
    kbdiff = kb_sub.add_parser("diff", help="what changed between two knowledge directories (for a reviewer)",
                               parents=[common])
    kbdiff.add_argument("old", help="the knowledge directory before the edit (e.g. a copy)")
    kbdiff.add_argument("new", help="the knowledge directory after it (e.g. knowledge)")
    kbdiff.set_defaults(func=cmd_kb_diff)
    todo = kb_sub.add_parser("todo", help="questions that need a new answer", parents=[common])
    todo.add_argument("--add", metavar="QUESTION", help="put a question on the list")
    todo.add_argument("--done", type=int, metavar="N", help="mark number N as done")
    todo.set_defaults(func=cmd_kb_todo)

    report = sub.add_parser("report", help="reports for district staff", parents=[common])
    report_sub = report.add_subparsers(dest="report_command", required=True)
    for name, text, default in (("unanswered", "questions the bot did not answer well, grouped", "7d"),
                                ("usage", "questions per day, district, language; declines, feedback, hand-offs",
                                 "30d")):
        r = report_sub.add_parser(name, help=text, parents=[common])
        r.add_argument("--since", default=default, help=f"7d, 24h or a date like 2027-01-01 (default {default})")
        r.add_argument("--district", help="only this district (name or id)")
        r.add_argument("--csv", metavar="FILE", help="also write the report as CSV")
        if name == "unanswered":
            r.add_argument("--limit", type=int, default=20, help="groups shown on screen (the CSV has all)")
        else:
            r.add_argument("--plot", metavar="FILE.png", help="also draw questions and declines per day")
        r.set_defaults(func=cmd_report)

    ask = sub.add_parser("ask", help="answer questions", parents=[common])
    ask.add_argument("question", nargs="+", help="the question, or - to read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--dialog", action="store_true",
                     help="the lines are one user's messages in turn (follow-ups); a blank line starts a new user")
    ask.add_argument("--lang", choices=["en", "hi"], help="the user's chosen language")
    ask.add_argument("--district", help="the user's district (name in English or Hindi)")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="talk to the bot in the terminal", parents=[common])
    chat.set_defaults(func=cmd_chat)
    serve = sub.add_parser("serve", help="run the configured channels (Telegram, WhatsApp)", parents=[common])
    sends = serve.add_mutually_exclusive_group()
    sends.add_argument("--no-send", action="store_true",
                       help="never send reminders and broadcasts here (web workers beside a separate sender)")
    sends.add_argument("--send-only", action="store_true",
                       help="the separate sender: reminders, broadcasts and hand-off reminders, no webhooks")
    serve.set_defaults(func=cmd_serve)
    rem = sub.add_parser("reminders", help="event reminders", parents=[common])
    rem_sub = rem.add_subparsers(dest="reminders_command", required=True)
    r_run = rem_sub.add_parser("run", help="do the reminder work due at a moment, then exit", parents=[common])
    r_run.add_argument("--at", help="the moment, e.g. 2027-01-05T10:00+05:30 (default: now)")
    r_prev = rem_sub.add_parser("preview", help="what would go to whom, without sending", parents=[common])
    r_prev.add_argument("--from", dest="from_", required=True, help="start date, e.g. 2027-01-01")
    r_prev.add_argument("--to", help="end date (default: 30 days later)")
    rem_sub.add_parser("status", help="reminders and broadcasts with their delivery counts", parents=[common])
    for name, text in (("pause", "pause a reminder or broadcast"), ("resume", "resume it"), ("cancel", "cancel it")):
        p = rem_sub.add_parser(name, help=text, parents=[common])
        p.add_argument("id", type=int)
    r_edit = rem_sub.add_parser("edit", help="change the text of a pending reminder", parents=[common])
    r_edit.add_argument("id", type=int)
    r_edit.add_argument("--text-file", required=True, help="the new text (English, or both languages)")
    r_edit.add_argument("--text-file-hi", help="the Hindi text, if different")
    rem.set_defaults(func=cmd_reminders)
    for p in rem_sub.choices.values():
        p.set_defaults(func=cmd_reminders)

    bc = sub.add_parser("broadcast", help="send a message to subscribers", parents=[common])
    bc.add_argument("--segment", default="all", help="all, district:<id> or sector:<id>")
    bc.add_argument("--text-file", required=True)
    bc.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    bc.set_defaults(func=cmd_broadcast)

    console = sub.add_parser("console", help="the staff console in the browser, on its own (no tokens needed)",
                             parents=[common])
    console.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    console.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: the office LAN)")
    console.set_defaults(func=cmd_console)
    staff = sub.add_parser("staff", help="staff console accounts", parents=[common])
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    setpw = staff_sub.add_parser("set-password", help="create a console account or change its password",
                                 parents=[common])
    setpw.add_argument("login", help="the login name, e.g. dic-hathras")
    setpw.add_argument("--telegram-id", type=int, required=True,
                       help="the staff member's Telegram id in knowledge/staff.yaml (or ADMIN_TELEGRAM_IDS)")
    setpw.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    staff_sub.add_parser("accounts", help="list console accounts and what each may see", parents=[common])
    remove = staff_sub.add_parser("remove", help="remove a console account", parents=[common])
    remove.add_argument("login")
    for p in staff_sub.choices.values():
        p.set_defaults(func=cmd_staff)
    db = sub.add_parser("db", help="the database", parents=[common])
    db_sub = db.add_subparsers(dest="db_command", required=True)
    migrate = db_sub.add_parser("migrate-to", help="copy the SQLite database into an empty PostgreSQL database",
                                parents=[common])
    migrate.add_argument("url", help="postgresql://user:password@host:port/database")
    migrate.set_defaults(func=cmd_db)

    run = sub.add_parser("run", help="serve when a bot token is set, chat otherwise", parents=[common])
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    if args.knowledge:
        settings = replace(settings, knowledge_dir=Path(args.knowledge))
    if args.db:
        settings = settings.with_database(args.db)
    from .store import StoreError

    try:
        return int(args.func(args, settings) or 0)
    except StoreError as exc:                  # the PostgreSQL server is down or refused us: one line, no traceback
        print(f"The database ({settings.database_name}) cannot be used: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The `exportbot` command: kb check, ask, chat, serve, run."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .answers import AnswerEngine, Outcome
from .knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from .settings import Settings


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
    counts = kb.counts()
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    print(f"OK: {settings.knowledge_dir}: {summary}")
    return 0


def outcome_json(o: Outcome) -> dict:
    return {
        "question": o.question,
        "matched": o.matched,
        "answer": o.text,
        "entry_id": o.entry.id if o.entry else None,
        "score": round(o.score, 4),
        "lang": o.lang,
        "suggestions": [{"entry_id": e.id, "title": e.title.get(o.lang)} for e in o.suggestions],
    }


def _district_id(kb: KnowledgeBase, name: str | None) -> str | None:
    if not name:
        return None
    from .dialogue import find_district

    found = find_district(kb, name)
    if found is None:
        raise SystemExit(f"--district: no district called '{name}'")
    return found.id


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    kb = _load_or_exit(settings.knowledge_dir)
    engine = AnswerEngine(kb)
    district = _district_id(kb, args.district)
    questions = args.question
    if args.json and questions == ["-"]:
        for line in sys.stdin:
            o = engine.ask(line.rstrip("\n"), lang=args.lang, district=district)
            print(json.dumps(outcome_json(o), ensure_ascii=False), flush=False)
        sys.stdout.flush()
        return 0
    if questions == ["-"]:
        questions = [line.rstrip("\n") for line in sys.stdin]
    for q in questions:
        o = engine.ask(q, lang=args.lang, district=district)
        if args.json:
            print(json.dumps(outcome_json(o), ensure_ascii=False))
        else:
            print(o.text)
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from .terminal import run_terminal_chat

    return run_terminal_chat(settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .serve import serve

    return serve(settings)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """The Telegram bot when a token is configured, the terminal chat otherwise."""
    if settings.telegram_token or settings.whatsapp_configured:
        return cmd_serve(args, settings)
    print("No TELEGRAM_BOT_TOKEN (or WHATSAPP_TOKEN) set: starting the terminal chat. "
          "Set it in .env to run the bot.")
    return cmd_chat(args, settings)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--knowledge", metavar="DIR", help="knowledge directory (default: $KNOWLEDGE_DIR or knowledge/)")
    common.add_argument("--db", metavar="FILE", help="SQLite file (default: $EXPORTBOT_DB or data/exportbot.sqlite3)")
    parser = argparse.ArgumentParser(prog="exportbot", description="Export helpdesk bot for Uttar Pradesh.",
                                     parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    kb = sub.add_parser("kb", help="knowledge base tools", parents=[common])
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate knowledge/*.yaml; exit 1 on any problem", parents=[common])
    check.set_defaults(func=cmd_kb_check)

    ask = sub.add_parser("ask", help="answer questions", parents=[common])
    ask.add_argument("question", nargs="+", help="the question, or - to read one per line from stdin")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--lang", choices=["en", "hi"], help="the user's chosen language")
    ask.add_argument("--district", help="the user's district (name in English or Hindi)")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="talk to the bot in the terminal", parents=[common])
    chat.set_defaults(func=cmd_chat)
    serve = sub.add_parser("serve", help="run the configured channels (Telegram, WhatsApp)", parents=[common])
    serve.set_defaults(func=cmd_serve)
    run = sub.add_parser("run", help="serve when a bot token is set, chat otherwise", parents=[common])
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    if args.knowledge:
        settings = replace(settings, knowledge_dir=Path(args.knowledge))
    if args.db:
        settings = replace(settings, db_path=Path(args.db))
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())

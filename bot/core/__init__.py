"""The core: knowledge, matching, answers, dialogue and reminder rules. No I/O; imports no transport or database."""

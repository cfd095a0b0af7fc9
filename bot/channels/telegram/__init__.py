"""Telegram: handlers (register(app)) and the Application builder."""

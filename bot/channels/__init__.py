"""Transports: each turns its platform's updates into core Incoming messages and renders Replies back."""

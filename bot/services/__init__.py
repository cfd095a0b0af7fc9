"""What every channel shares: the conversation loop, the live knowledge base, the outbox, admin reports."""

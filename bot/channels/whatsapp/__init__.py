"""WhatsApp Cloud API: webhook payloads, rendering, inbox worker and the Graph API client."""

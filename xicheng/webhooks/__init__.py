"""Webhooks for REST clients: a system administrator registers an address and a secret for some
of the events of `xicheng.events`; each event is posted there as signed JSON, retried with
back-off, and logged.

- `models.py`    the webhook, each delivery of an event to it, the lights last seen of the targets;
- `services.py`  the webhook's writes, and the look at the targets' lights (target.light_changed);
- `signing.py`   the signature (HMAC-SHA256 over "timestamp.body") and its verification;
- `delivery.py`  one delivery per subscribed webhook, and the worker's one try of one;
- `tasks.py`     the worker's side: deliveries with retries, the lights on celery beat;
- `api.py`       /api/v1/webhooks/ and /api/v1/webhook-deliveries/ (the system admin's).

A kernel sub-package with an app of its own (label `webhooks`), so its migrations are its own."""

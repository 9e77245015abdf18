"""Supervision (督办): a leader's case on anything that can go red, chased until the leader accepts it.

- `models.py`    the case (督办单) and its steps, notifications, their deliveries, chat robots,
                 each user's preferences;
- `services.py`  every step of a case (`case_open` … `case_accept`) and the ladder (`cases_escalate_due`);
- `notifications.py`  who is told what, and one delivery per notification and channel;
- `channels.py`  in-app, DingTalk and WeCom group robots, e-mail, an SMS gateway: one interface;
- `tasks.py`     the worker's side: deliveries with retries, the ladder on celery beat.

A kernel sub-package with an app of its own (label `supervision`), so its migrations are its own.
It imports no domain app: a case names its record by a kind the domains declare
(`xicheng.plugins.Supervisable`), and the kernel's own (a task, a target)."""

#!/usr/bin/env python
from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xicheng.settings")
    # manage.py is the developer's tool: development settings unless DEBUG says otherwise. The
    # servers start from xicheng/wsgi.py, where DEBUG is off unless the environment turns it on.
    os.environ.setdefault("DEBUG", "true")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from xicheng.startup import refuse_to_start, require_settings

    # A missing or bad setting is one line on stderr and a non-zero exit, not a traceback.
    require_settings()
    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        refuse_to_start(error)


if __name__ == "__main__":
    main()

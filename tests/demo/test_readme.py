"""The README on the demo data: every site path it names answers the user it is meant for, and
`seed_demo` prints every login its table lists. Here, in the demo package, to share its one seed."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.conftest import login
from tests.xicheng.test_readme import README, reader, site_paths
from xicheng.demo import DemoContext


@pytest.mark.django_db
@pytest.mark.parametrize("path", site_paths(README))
def test_every_path_in_the_readme_answers_its_user_on_the_demo(demo: DemoContext, path: str) -> None:
    client = Client()
    username = reader(path)
    if username is not None:
        login(client, User.objects.get(username=username))
    response = client.get(path, follow=True)  # `/` takes each user to their start page
    assert response.status_code == 200, (path, username, response.status_code)
    assert not response.redirect_chain or "/accounts/login/" not in response.redirect_chain[-1][0], (path, username)


def test_seed_demo_prints_every_login_the_readme_lists(demo: DemoContext) -> None:
    out = StringIO()
    call_command("seed_demo", today=demo.today, allow_demo_accounts=True, stdout=out)
    printed = out.getvalue()
    table = README[README.index("| user | role | who |") :].split("\n\n")[0]
    for username in re.findall(r"`([a-z]+)`", table):
        assert re.search(rf"^\s+{username}\b", printed, re.M), username

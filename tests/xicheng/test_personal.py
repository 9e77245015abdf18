"""The kernel's personal fields: each declares its kind once, masks by it, and `reveal` is the one
show path that decides from the right and logs the whole reads."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from governance.models import Migrant
from projects.models import Household
from tests.conftest import Cast
from welfare.models import Elder, MealReceipt
from xicheng.models import AuditEvent, Cadre
from xicheng.personal import (
    EncryptedCharField,
    Kind,
    PersonalCharField,
    masked,
    personal_kind,
    reveal,
    shown,
)


def test_each_personal_field_declares_its_kind() -> None:
    assert personal_kind(Household, "owner_name") == Kind.NAME
    assert personal_kind(Household, "owner_phone") == Kind.PHONE
    assert personal_kind(Migrant, "id_number") == Kind.ID_NUMBER
    assert personal_kind(Elder, "emergency_contact") == Kind.CONTACT
    assert personal_kind(Cadre, "phone") == Kind.PHONE


def test_a_kind_is_found_across_a_relation_and_not_on_other_fields() -> None:
    assert personal_kind(MealReceipt, "elder.name") == Kind.NAME
    assert personal_kind(MealReceipt, "elder__name") == Kind.NAME
    assert personal_kind(Household, "address") is None
    assert personal_kind(Household, "area.name") is None
    assert personal_kind(Household, "*") is None
    assert personal_kind(Household, "no_such_field") is None


def test_a_value_reads_masked_by_its_kind() -> None:
    elder = Elder(name="张建明", phone="13812345678", emergency_contact="儿子 13987654321")
    assert masked(elder, "name") == "张*明"
    assert masked(elder, "phone") == "138****5678"
    assert masked(elder, "emergency_contact") == "儿子 139****4321"
    assert masked(Migrant(id_number="33078419900101123X"), "id_number") == "330784********123X"


def test_shown_is_whole_only_when_told() -> None:
    elder = Elder(name="张建明", phone="")
    assert shown(elder, "name", True) == "张建明"
    assert shown(elder, "name", False) == "张*明"
    assert shown(elder, "phone", False) == ""


def test_a_field_not_declared_personal_cannot_be_masked() -> None:
    with pytest.raises(LookupError):
        masked(Household(address="西城路1号"), "address")


def test_the_kind_stays_out_of_migrations() -> None:
    _name, path, _args, kwargs = PersonalCharField(max_length=50, kind=Kind.NAME).deconstruct()
    assert path == "django.db.models.CharField" and "kind" not in kwargs
    _name, path, _args, kwargs = EncryptedCharField(kind=Kind.PHONE).deconstruct()
    assert path == "xicheng.personal.EncryptedCharField" and "kind" not in kwargs


@pytest.mark.django_db
def test_reveal_masks_for_a_user_without_the_right_and_logs_nothing(cast: Cast) -> None:
    assert reveal(cast.zhao, subject="a page") is False
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()


@pytest.mark.django_db
def test_reveal_logs_each_whole_read_of_something_shown(cast: Cast) -> None:
    cast.zhao.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    zhao = User.objects.get(pk=cast.zhao.pk)
    assert reveal(zhao, subject="an empty page", showing=False) is True
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW_PERSONAL).exists()
    assert reveal(zhao, subject="a page") is True
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW_PERSONAL)
    assert (event.user, event.subject) == (zhao, "a page")

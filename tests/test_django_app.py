"""`INSTALLED_APPS = [..., "kit"]`: the kit is a Django app whose files live in kit/django/."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.core.management import get_commands, load_command_class

import kit
from kit.django.apps import KitConfig

KIT = Path(kit.__file__).resolve().parent


def test_kit_in_installed_apps_gives_its_app_config():
    config = apps.get_app_config("kit")
    assert type(config) is KitConfig
    # Its module is the Django layer: Django lists management commands under the app's path
    # and imports them from its name, both kit/django/.
    assert config.name == "kit.django"
    assert Path(config.path) == KIT / "django"
    assert get_commands()["orm_profile"] == "kit.django"
    assert type(load_command_class("kit.django", "orm_profile")).__module__ == (
        "kit.django.management.commands.orm_profile"
    )


def test_kit_profile_stays_the_context_manager_after_the_layer_is_imported():
    """kit/profiles/ is not named kit/profile/: a subpackage would replace kit.profile."""
    import kit.profiles.block
    import kit.profiles.load
    import kit.profiles.profile

    assert callable(kit.profile) and kit.profile.__module__ == "kit.profiles.block"
    assert kit.load.__name__ == "load_profile"

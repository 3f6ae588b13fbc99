"""`INSTALLED_APPS = [..., "kit"]`: the kit is a Django app whose files live in kit/django/."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps

import kit
from kit.django.apps import KitConfig

KIT = Path(kit.__file__).resolve().parent


def test_kit_in_installed_apps_gives_its_app_config():
    config = apps.get_app_config("kit")
    assert type(config) is KitConfig
    assert config.name == "kit"
    # Management commands and templates are looked up under the app's path: kit/django/.
    assert Path(config.path) == KIT / "django"


def test_kit_profile_stays_the_context_manager_after_the_layer_is_imported():
    """kit/profiles/ is not named kit/profile/: a subpackage would replace kit.profile."""
    import kit.profiles.block
    import kit.profiles.load
    import kit.profiles.profile

    assert callable(kit.profile) and kit.profile.__module__ == "kit.profiles.block"
    assert kit.load.__name__ == "load_profile"

"""The Django internals capture reads: there on the versions the kit knows, harmless elsewhere.

kit.capture.codes names Django functions (TRIGGERS) and kit.capture.frames reads their locals;
kit.capture.relations reads the objects found there. CI runs this file on Django 4.2 and 5.2.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Iterator
from types import CodeType, SimpleNamespace
from typing import Any

import django
import pytest
from django.db.models.fields.related_descriptors import ForwardManyToOneDescriptor

import kit
from kit.capture.codes import (
    DEFERRED,
    DESCRIPTOR,
    INSPECTED_MODULES,
    INSTANCE,
    MANAGER,
    PREFETCH,
    QUERYSET,
    TRIGGERS,
)
from kit.capture.frames import find_origin
from kit.capture.records import QueryRecord, Relation
from kit.capture.relations import relation_at
from sample_app.blog.models import Post

M2M = "create_forward_many_to_many_manager.<locals>.ManyRelatedManager."
# What each version the kit knows lacks of TRIGGERS: related managers' count() and exists() came
# in Django 5.1 (4.2 runs QuerySet.count()/exists() for them: the same trigger and relation).
ABSENT = {(4, 2): {M2M + "count", M2M + "exists"}, (5, 2): set()}
# The local that kit.capture.frames reads from a trigger's frame, by the trigger's role.
LOCAL_READ = {
    QUERYSET: "self",
    MANAGER: "self",
    INSTANCE: "self",
    DESCRIPTOR: "self",
    DEFERRED: "instance",
    PREFETCH: "prefetcher",
}
POST_TAGS = Relation("blog.Post", "tags", "m2m", "blog.Tag")


def codes(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from codes(const)


def functions_of_installed_django() -> dict[str, CodeType]:
    """Qualified name -> code of every function in the inspected modules, nested ones included."""
    found: dict[str, CodeType] = {}
    for module in INSPECTED_MODULES:
        spec = importlib.util.find_spec(module)
        assert spec and spec.origin, module
        with open(spec.origin, encoding="utf-8") as source:
            found.update({c.co_qualname: c for c in codes(compile(source.read(), module, "exec"))})
    return found


def test_each_trigger_names_a_function_of_the_installed_django():
    version = django.VERSION[:2]
    if version not in ABSENT:
        pytest.skip(f"Django {django.__version__} is not a version the kit knows: {set(ABSENT)}")
    missing = set(TRIGGERS) - set(functions_of_installed_django())
    assert missing == ABSENT[version]


def test_each_trigger_function_has_the_local_the_stack_walk_reads():
    functions = functions_of_installed_django()
    for name, (_, role, _) in TRIGGERS.items():
        if name in functions:
            # f_locals holds a closure's free variables too (`self` of __aiter__'s generator).
            code = functions[name]
            assert LOCAL_READ[role] in code.co_varnames + code.co_freevars, name


# Frames and objects of another shape: what a future Django could hand the stack walk. Each
# function below is compiled as if its Django module defined it, and runs find_origin() on its
# own frame: (trigger, model, relation) come back, never an exception.


def origin_in(module: str, source: str, call: str, **arguments: Any) -> tuple[Any, ...]:
    namespace: dict[str, Any] = {"__name__": module, "find_origin": find_origin, "sys": sys}
    exec(compile(textwrap.dedent(source), f"<{module}>", "exec"), namespace)
    origin = eval(call, namespace, arguments)
    return origin[4], origin[5], relation_at(origin[6])


RETURN_ORIGIN = "return find_origin(sys._getframe(), None)"
RELATED = "django.db.models.fields.related_descriptors"


class DescriptorWithoutField(ForwardManyToOneDescriptor):
    def __init__(self) -> None:  # no .field, as a Django that renamed it would have
        pass


def test_locals_missing_from_a_trigger_frame_read_as_unknown():
    descriptor = (
        f"class ForwardManyToOneDescriptor:\n def get_object(this, instance): {RETURN_ORIGIN}"
    )
    assert origin_in(RELATED, descriptor, "ForwardManyToOneDescriptor.get_object(1, 2)") == (
        "related", None, None,
    )  # fmt: skip
    deferred = f"class DeferredAttribute:\n def __get__(self, obj, cls=None): {RETURN_ORIGIN}"
    assert origin_in(
        "django.db.models.query_utils", deferred, "DeferredAttribute.__get__(1, Post())", Post=Post
    ) == ("deferred", None, None)
    prefetch = f"def prefetch_one_level(instances, fetcher, lookup, level): {RETURN_ORIGIN}"
    assert origin_in(
        "django.db.models.query", prefetch, "prefetch_one_level([], object(), 'tags', 0)"
    ) == ("prefetch", None, None)
    count = f"class QuerySet:\n def count(qs): {RETURN_ORIGIN}"
    assert origin_in("django.db.models.query", count, "QuerySet.count(1)") == (
        "count", None, None,
    )  # fmt: skip


def test_objects_of_another_shape_read_as_unknown():
    descriptor = (
        f"class ForwardManyToOneDescriptor:\n def get_object(self, instance): {RETURN_ORIGIN}"
    )
    call = "ForwardManyToOneDescriptor.get_object(odd, None)"
    assert origin_in(RELATED, descriptor, call, odd=DescriptorWithoutField()) == (
        "related", None, None,
    )  # fmt: skip
    count = f"class QuerySet:\n def count(self): {RETURN_ORIGIN}"
    # A reverse FK's queryset whose known related objects are not fields; one whose query has
    # no `where`; an M2M queryset whose instance's model has a _meta of another kind.
    odd_known = SimpleNamespace(model=Post, _known_related_objects={object(): {}})
    no_where = SimpleNamespace(
        model=Post,
        _known_related_objects={Post._meta.get_field("author"): {}},
        query=SimpleNamespace(),
    )
    odd_meta = type("Odd", (), {"_meta": object()})()
    odd_hint = SimpleNamespace(
        model=Post,
        _known_related_objects={},
        _hints={"instance": odd_meta},
        query=SimpleNamespace(alias_map={}),
    )
    for queryset in (odd_known, no_where, odd_hint):
        assert origin_in("django.db.models.query", count, "QuerySet.count(qs)", qs=queryset)[
            ::2
        ] == ("count", None)
    m2m_count = (
        "def create_forward_many_to_many_manager():\n"
        f" class ManyRelatedManager:\n  def count(self): {RETURN_ORIGIN}\n"
        " return ManyRelatedManager"
    )
    call = "create_forward_many_to_many_manager().count(manager)"
    manager = SimpleNamespace(instance=odd_meta, model=Post, field=None)
    assert origin_in(RELATED, m2m_count, call, manager=manager)[::2] == ("count", None)
    prefetch = f"def prefetch_one_level(instances, prefetcher, lookup, level): {RETURN_ORIGIN}"
    call = "prefetch_one_level([], manager, 'tags', 0)"
    assert origin_in("django.db.models.query", prefetch, call, manager=manager) == (
        "prefetch", None, None,
    )  # fmt: skip


def test_a_function_renamed_in_another_django_is_no_trigger():
    renamed = f"class QuerySet:\n def count_rows(self): {RETURN_ORIGIN}"
    assert origin_in("django.db.models.query", renamed, "QuerySet.count_rows(1)") == (
        None, None, None,
    )  # fmt: skip


# The same trigger and relation on both versions, read from different frames.


def count_a_posts_tags() -> QueryRecord:
    """The one query of post.tags.count()."""
    post = Post.objects.filter(tags__isnull=False).first()
    assert post is not None
    with kit.profile() as p:
        post.tags.count()
    (query,) = p.queries
    return query


@pytest.mark.django_db
@pytest.mark.django_version(">=5.1", reason="ManyRelatedManager.count() came in Django 5.1")
def test_an_m2m_managers_count_is_read_from_the_managers_frame():
    query = count_a_posts_tags()
    assert (query.entry, query.trigger, query.relation) == (M2M + "count", "count", POST_TAGS)


@pytest.mark.django_db
@pytest.mark.django_version("<5.1", reason="from Django 5.1 the related manager has count()")
def test_an_m2m_managers_count_is_read_from_the_querysets_frame():
    query = count_a_posts_tags()
    assert query.entry is not None and not query.entry.startswith(M2M)
    assert (query.trigger, query.relation) == ("count", POST_TAGS)

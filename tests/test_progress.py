"""The live progress line of a long profiled cell: shown after a delay, updated in place from the
recorder's counters, replaced by the profile; never outside a Jupyter kernel."""

from __future__ import annotations

import time

import pytest
from IPython.utils.capture import capture_output

import kit
from kit.magics.profile_outputs import show_outputs
from kit.magics.progress import LiveProgress, ProgressLine, in_kernel, progress_text
from kit.render.outputs import OutputOptions, SummaryOutput
from sample_app.blog.models import Post
from tests.profiles import fixed_profile

pytestmark = pytest.mark.django_db


class FakeHandle:
    """Stands for IPython's DisplayHandle: records what the line became."""

    def __init__(self, first: object) -> None:
        self.shown = [first]

    def update(self, obj: object, **kwargs: object) -> None:
        self.shown.append(obj)


def test_progress_text():
    assert progress_text(1204, 812.0, 3.14) == "1,204 queries · 0.8 s in the database · 3.1 s"
    assert progress_text(1, 5.0, 1.0, "run 2 of 5") == (
        "run 2 of 5 · 1 query · 0.0 s in the database · 1.0 s"
    )
    line = ProgressLine("1 query · <now>")
    assert repr(line) == "1 query · <now>" and "&lt;now&gt;" in line._repr_html_()


def test_the_line_appears_after_the_delay_and_follows_the_counters():
    handles: list[FakeHandle] = []

    def show(line: ProgressLine) -> FakeHandle:
        handles.append(FakeHandle(line))
        return handles[-1]

    live = LiveProgress(True, delay_s=0.15, every_s=0.05, show=show)
    with live, kit.profile() as profile:
        live.watch(profile)
        Post.objects.count()
        time.sleep(0.05)
        assert handles == []  # not before the delay: a quick cell shows no line at all
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:
            Post.objects.exists()
            time.sleep(0.01)
    (handle,) = handles
    texts = [line.text for line in handle.shown]
    assert len(texts) >= 3
    counts = [int(text.split(" ")[0].replace(",", "")) for text in texts]
    assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] > counts[0]
    assert all(" s in the database · " in text for text in texts)
    assert live.handle is handle
    shown = len(handle.shown)
    time.sleep(0.15)
    assert len(handle.shown) == shown  # the thread stopped with the cell


def test_a_quick_cell_and_a_disabled_line_show_nothing():
    shown: list[ProgressLine] = []
    with LiveProgress(True, delay_s=0.2, show=shown.append) as live, kit.profile() as p:
        live.watch(p)
        Post.objects.count()
    with LiveProgress(False, delay_s=0.0, every_s=0.01, show=shown.append) as live:
        time.sleep(0.05)
    assert shown == [] and live.handle is None


def test_the_profile_takes_the_place_of_the_line(ip_shell):
    handle = FakeHandle(ProgressLine("3 queries · 0.0 s in the database · 1.2 s"))
    with capture_output() as captured:
        show_outputs(fixed_profile(), OutputOptions(static_images=False), None, handle)  # type: ignore[arg-type]
    # The summary replaced the line (formatted by the kit: issue 17).
    summary = SummaryOutput(fixed_profile())
    assert handle.shown[-1] == {"text/html": summary._repr_html_(), "text/plain": repr(summary)}
    assert len(captured.outputs) == 3  # timeline, charts, table after it
    assert "Timeline" in captured.outputs[0].data["text/plain"]


def test_no_line_outside_a_kernel(ip_shell):
    assert not in_kernel(ip_shell)  # the tests' shell is a terminal's: nothing to update
    with capture_output() as captured:
        ip_shell.run_cell(
            "%%orm_profile\nimport time\nfrom sample_app.blog.models import Post\n"
            "Post.objects.count()\ntime.sleep(1.3)\n"
        )
    assert not any("in the database · 1." in str(o.data) for o in captured.outputs[1:])
    assert captured.outputs[0].data["text/plain"].startswith("1 query · ")


def test_a_line_first_shown_while_a_replay_captures_outputs_still_reaches_the_notebook(ip_shell):
    # A --verify replay runs the cell inside IPython's capture_output(), which swaps the shell's
    # display publisher: a line the progress thread showed then went into the capture, and the
    # profile that replaced it updated an output the notebook never had (no profile at all).
    from IPython.core.displaypub import DisplayPublisher

    published: list[tuple[object, object, bool]] = []

    class Notebook(DisplayPublisher):
        def publish(self, data, metadata=None, *args, transient=None, update=False, **kwargs):
            published.append((data.get("text/plain"), (transient or {}).get("display_id"), update))

    original = ip_shell.display_pub
    ip_shell.display_pub = Notebook(shell=ip_shell)
    try:
        live = LiveProgress(True, delay_s=0.0, every_s=0.02)
        with live, kit.profile() as profile:
            live.watch(profile)
            with capture_output(display=True) as replay:
                Post.objects.count()
                time.sleep(0.2)  # the line is shown and updated while the capture is on
        live.handle.update("the profile")
    finally:
        ip_shell.display_pub = original
    assert replay.outputs == []
    assert len(published) >= 3
    (first_text, display_id, first_update), *updates = published
    assert first_text.endswith(" s") and first_update is False
    assert all(shown_id == display_id and update for _, shown_id, update in updates)
    assert updates[-1][0] == "'the profile'"

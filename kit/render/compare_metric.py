"""One compared number of two profiles: before, after, the change in words and its colour."""

from __future__ import annotations

from dataclasses import dataclass

BETTER = "#2e7d32"
WORSE = "#c62828"
SAME = "#9e9e9e"


@dataclass(frozen=True)
class Metric:
    """One compared number; less is better unless higher_is_better (cache hits)."""

    name: str
    before: float
    after: float
    unit: str = ""
    digits: int = 0
    higher_is_better: bool = False
    # With --repeat on both sides: before and after are medians, and a change no bigger than
    # the larger of the two spreads (slowest minus fastest run) is noise.
    spread: float | None = None

    @property
    def label(self) -> str:
        """The name, and "(median)" when the numbers are medians of repeated runs."""
        return f"{self.name} (median)" if self.spread is not None else self.name

    @property
    def noise(self) -> bool:
        """True when the change is within the runs' spread: no change to act on."""
        return self.spread is not None and self.delta != 0 and abs(self.delta) <= self.spread

    def format(self, value: float) -> str:
        """The value with thousands separators and its unit."""
        return f"{value:,.{self.digits}f}{' ' + self.unit if self.unit else ''}"

    @property
    def improved(self) -> bool:
        """True when the number moved the better way."""
        return self.delta > 0 if self.higher_is_better else self.delta < 0

    @property
    def delta(self) -> float:
        """after - before."""
        return self.after - self.before

    @property
    def change_percent(self) -> float | None:
        """The change as a percentage of before (None when before is 0 and after is not)."""
        if self.before == 0:
            return 0.0 if self.after == 0 else None
        return 100.0 * self.delta / self.before

    @property
    def change(self) -> str:
        """The change in words: "−1,198 (−99.8%)", "+2 (new)", "no change"."""
        if self.delta == 0:
            return "no change"
        sign = "+" if self.delta > 0 else "−"
        percent = self.change_percent
        share = "new" if percent is None else f"{sign}{abs(percent):,.1f}%"
        noise = f", noise: runs spread {self.format(self.spread or 0.0)}" if self.noise else ""
        return f"{sign}{self.format(abs(self.delta))} ({share}{noise})"

    @property
    def color(self) -> str:
        """Green when it fell, red when it rose, grey when it did not change or is noise."""
        if self.delta == 0 or self.noise:
            return SAME
        return BETTER if self.improved else WORSE

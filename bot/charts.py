"""Pictures of numbers, rendered apart from the handlers that ask for them: matplotlib with
the Agg backend (no display, no pyplot state shared between threads)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class GrowthChart:
    title: str
    y_label: str
    months: Sequence[str]  # the labels of every month shown, history then projection
    history: Sequence[int]  # members at the end of each past month
    projection: Sequence[float]  # from the last past month on, at the present pace
    history_label: str
    projection_label: str
    milestone: tuple[str, int] | None = None


def growth_png(chart: GrowthChart) -> bytes:
    # Imported on the first picture, not at start: matplotlib and numpy are about 45 MB of
    # a process's memory, and most processes never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    past = list(range(len(chart.history)))
    axes.plot(past, chart.history, "-o", color="#2a6f4e", linewidth=2.5, label=chart.history_label)
    if chart.projection:
        ahead = list(range(len(past) - 1, len(past) - 1 + len(chart.projection)))
        axes.plot(
            ahead,
            chart.projection,
            "--",
            color="#2a6f4e",
            linewidth=2,
            label=chart.projection_label,
        )
    if chart.milestone is not None:
        name, value = chart.milestone
        axes.axhline(value, color="#b5542b", linewidth=1.5, linestyle=":", label=name)
    axes.set_xticks(list(range(len(chart.months))), list(chart.months), rotation=45, ha="right")
    axes.set_title(chart.title)
    axes.set_ylabel(chart.y_label)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1
    return "".join(SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)

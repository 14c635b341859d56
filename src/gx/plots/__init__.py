"""Plots of runs, one module per kind: metric histories (``history``), scatters of two keys
(``scatter``), parallel coordinates (``parallel``); ``common`` holds labels, columns and saving.

matplotlib loads only inside the drawing functions, so importing this package is cheap.
"""

from gx.plots.common import MAX_LEGEND_ENTRIES, SUFFIXES, differing_params, run_label, save_figure
from gx.plots.history import plot_history
from gx.plots.parallel import plot_parallel
from gx.plots.scatter import plot_scatter
from gx.plots.viewer import open_in_viewer

__all__ = ["MAX_LEGEND_ENTRIES", "SUFFIXES", "differing_params", "open_in_viewer", "plot_history", "plot_parallel",
           "plot_scatter", "run_label", "save_figure"]

"""What people see: plan tables and text output, charts (matplotlib for reports, SVG for the
explorers) with one palette and one set of titles, the workbook's report sections, the
ipywidgets explorers, and rendering the notebooks to HTML and PDF reports.

The only layer that may import matplotlib, ipywidgets, IPython, nbconvert or papermill. May
import every layer below it; nothing below imports it."""

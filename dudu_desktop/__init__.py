"""都督乡法治工作台账 (Dudu Desktop): offline rule-of-law registers.

Only ``dudu_desktop.ui`` may import Qt; everything else is a pure core usable from the
command line and the tests.
"""

__version__ = "0.1.0"
APP_NAME = "DuduDesktop"

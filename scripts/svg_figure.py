"""The course's SVG figures (trace_timeline.py, bench_plot.py): matplotlib set up once.

pyplot(who) imports matplotlib for SVG output with text kept as text (smaller,
searchable), or says what is missing and returns None; save(fig, ax, out)
writes the figure in the course's plain style (no top or right frame, no date,
so that the same data gives the same file).
"""
import sys


def pyplot(who):
    try:
        import matplotlib
        matplotlib.use("svg")
        matplotlib.rcParams["svg.fonttype"] = "none"
        matplotlib.rcParams["svg.hashsalt"] = "mp-course"  # the same ids in every run
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"{who}: matplotlib is missing (Debian: python3-matplotlib; scripts/setup.sh installs it)",
              file=sys.stderr)
        return None
    return plt


def save(fig, ax, out):
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None})
